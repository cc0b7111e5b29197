"""The compiled policy: immutable values, built only from a file that passed every check."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from provenance.errors import PolicyError
from provenance.verification.signers import SignerRule

__all__ = ["Policy", "Vendor"]


@dataclass(frozen=True)
class Vendor:
    """A vendor: who may sign for it (any one signer suffices) and what it makes."""

    name: str
    signers: tuple[SignerRule, ...]
    products: tuple[str, ...]  # package URLs without version; never empty


@dataclass(frozen=True)
class Policy:
    """A loaded policy file.

    `sigstore_trust` holds "embedded:production", "embedded:staging" or the absolute path of a
    `trusted_root.json`, in file order. `vendors` is read-only and keeps the file's order.
    """

    path: str
    sigstore_trust: tuple[str, ...]
    vendors: Mapping[str, Vendor]

    def __post_init__(self) -> None:
        object.__setattr__(self, "vendors", MappingProxyType(dict(self.vendors)))

    def signer_rules(self, vendor: str | None = None) -> list[tuple[str, SignerRule]]:
        """(vendor name, rule) for every signer, or for one vendor's signers, in file order.

        Raises `PolicyError` (a usage error) if `vendor` is not in the policy.
        """
        if vendor is None:
            chosen = list(self.vendors.values())
        elif vendor in self.vendors:
            chosen = [self.vendors[vendor]]
        else:
            known = ", ".join(sorted(self.vendors))
            raise PolicyError(
                self.path, None, None, f"unknown vendor {vendor!r} (expected one of: {known})"
            )
        return [(v.name, rule) for v in chosen for rule in v.signers]
