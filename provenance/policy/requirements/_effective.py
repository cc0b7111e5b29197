"""A segment's effective requirements: what an artifact must meet to enter it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import TypeVar

from provenance.policy.requirements._kind import RequirementSpec
from provenance.policy.requirements.signed_by import SignedBySpec

__all__ = ["Requirements"]

S = TypeVar("S", bound=RequirementSpec)


class Requirements(Mapping[str, RequirementSpec]):
    """Kind name -> spec, inheritance applied (`Policy.effective_requirements`), inherited
    kinds first. Read-only, as the specs are."""

    def __init__(self, specs: Mapping[str, RequirementSpec]) -> None:
        self._specs = MappingProxyType(dict(specs))

    def __getitem__(self, kind: str) -> RequirementSpec:
        return self._specs[kind]

    def __iter__(self) -> Iterator[str]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)

    def __repr__(self) -> str:
        return f"Requirements({dict(self._specs)!r})"

    def find(self, spec: type[S]) -> S | None:
        """The requirement of this spec type, if the segment has one."""
        return next((s for s in self._specs.values() if isinstance(s, spec)), None)

    def vendors_counted(self, named: tuple[str, ...] | None) -> tuple[str, ...] | None:
        """Whose evidence a requirement counts, given the vendors its `from` names (None: it
        names none): those, else the vendors `signed_by` requires, else None (any vendor of
        the policy). The one place `from` gets its default."""
        if named is not None:
            return named
        signed_by = self.find(SignedBySpec)
        return signed_by.vendors if signed_by is not None else None
