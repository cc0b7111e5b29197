"""CRLs carried in the state directory: `provenance crl import`, and those of admitted deliveries.

Layout: `<state>/crls/<sha256 of the DER>.crl`, one file per CRL, DER, mode 0600 in a 0700
directory. Nothing here is trusted: the store keeps what it was handed, and verification
counts a stored CRL only if its issuer's signature verifies (one that does not is set aside).
It is how the gate remembers the newest CRL it has seen per issuer: an older CRL shipped with
a later delivery is refused because the newer one is still here.

`import_crls` refuses a CRL older than one already stored for the same issuer name and key
identifier ("CRL older than one already seen"); `remember_crls` (admit) stores silently.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from provenance.errors import InputError, VerificationFailure
from provenance.record._fs import ensure_directory, unique_name
from provenance.record.state import STATE_DIR_MODE, StateDir
from provenance.verification.x509.revocation import (
    CrlFile,
    crl_order,
    describe_crl,
    load_crl,
)

__all__ = [
    "CRL_DIR",
    "MAX_STORED_CRLS",
    "ImportedCrl",
    "import_crls",
    "remember_crls",
    "stored_crls",
]

CRL_DIR = "crls"
# Far more than a site's vendors have CAs; bounds what each verification reads.
MAX_STORED_CRLS = 1000
# CRLs read from one delivery folder (as `vendor_signatures.MAX_CRLS`).
MAX_CRLS_PER_DELIVERY = 64
_FILE_MODE = 0o600


@dataclass(frozen=True)
class ImportedCrl:
    source: str
    issuer: str  # RFC 4514
    sha256: str
    description: str  # "number N, thisUpdate T"
    stored: bool  # False: the very same CRL was already in the store


def stored_crls(state_root: Path) -> list[CrlFile]:
    """Every CRL in the state directory's store (none if it has no store), origin "state".
    A file that is not a CRL (the disk is not trusted either) fails the command."""
    folder = state_root / CRL_DIR
    if not folder.is_dir():
        return []
    paths = sorted(folder.glob("*.crl"))
    if len(paths) > MAX_STORED_CRLS:
        raise InputError(
            f"{folder}: expected at most {MAX_STORED_CRLS} stored CRLs, got {len(paths)}"
        )
    return [load_crl(path, origin="state", name=f"state:{path.name[:16]}") for path in paths]


def _key_id(crl: x509.CertificateRevocationList) -> bytes | None:
    try:
        return crl.extensions.get_extension_for_class(
            x509.AuthorityKeyIdentifier
        ).value.key_identifier
    except x509.ExtensionNotFound:
        return None


def _store(state: StateDir, entry: CrlFile) -> tuple[str, bool]:
    der = entry.crl.public_bytes(serialization.Encoding.DER)
    digest = hashlib.sha256(der).hexdigest()
    folder = state.root / CRL_DIR
    ensure_directory(folder, STATE_DIR_MODE)
    target = folder / f"{digest}.crl"
    if target.exists():
        return digest, False
    temporary = state.tmp_dir / unique_name("crl-", ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _FILE_MODE)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(der)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, target)
    return digest, True


def import_crls(state: StateDir, paths: Sequence[Path]) -> list[ImportedCrl]:
    """Store each CRL file (PEM or DER). Raises `InputError` for one that is not a CRL and
    `VerificationFailure` for one older than a stored CRL of the same issuer and key."""
    entries = [load_crl(path, name=str(path)) for path in paths]
    seen = stored_crls(state.root)
    # 1. Refuse before keeping anything: an import is all or nothing.
    for entry in entries:
        same = [
            s
            for s in seen
            if s.crl.issuer == entry.crl.issuer and _key_id(s.crl) == _key_id(entry.crl)
        ]
        newer = max(same, key=lambda s: crl_order(s.crl), default=None)
        if newer is not None and crl_order(newer.crl) > crl_order(entry.crl):
            raise VerificationFailure(
                f"{entry.name}: CRL older than one already seen: {describe_crl(entry.crl)}, the "
                f"state directory holds {newer.name} ({describe_crl(newer.crl)}) of the same "
                f"issuer '{entry.crl.issuer.rfc4514_string()}'",
                check="revocation",
            )
    # 2. Keep each, content-addressed.
    imported = []
    for entry in entries:
        digest, stored = _store(state, entry)
        imported.append(
            ImportedCrl(
                source=entry.name,
                issuer=entry.crl.issuer.rfc4514_string(),
                sha256=digest,
                description=describe_crl(entry.crl),
                stored=stored,
            )
        )
    return imported


def remember_crls(state: StateDir, folder: Path) -> int:
    """Keep the CRLs a delivery carried (`*.crl` in `folder`; admit), so a later delivery
    cannot go back to an older one of the same issuer. Stored as they are (verification
    decides what counts); a file that is not a CRL is left out. Returns how many were new."""
    added = 0
    for path in sorted(folder.glob("*.crl"))[:MAX_CRLS_PER_DELIVERY]:
        try:
            entry = load_crl(path)
        except InputError:
            continue
        added += _store(state, entry)[1]
    return added
