"""`policy lint` on the site's own signing key: an unencrypted PEM private key on disk is a
warning, since whoever copies the file (a stolen laptop, a backup) can sign admissions."""

from __future__ import annotations

from pathlib import Path

from provenance.commands.admit import site_key_path
from provenance.policy import LintProblem
from provenance.record.state import resolve_state_dir
from provenance.signing.keys import MAX_PRIVATE_KEY_BYTES, is_encrypted_pem
from provenance.signing.pkcs11_keys import is_pkcs11_uri

__all__ = ["site_key_warnings"]


def site_key_warnings(site_key: Path | None, state_dir: Path | None) -> list[LintProblem]:
    """A warning if the site key (`--site-key`, `$PROVENANCE_SITE_KEY`, else `site.key` in the
    state directory) is a PEM private key file that is not encrypted; none for a PKCS#11 URI,
    an encrypted key, or no key file at all."""
    path = site_key_path(site_key, resolve_state_dir(state_dir))
    if is_pkcs11_uri(path) or not path.is_file():
        return []
    try:
        with path.open("rb") as handle:
            head = handle.read(MAX_PRIVATE_KEY_BYTES)
    except OSError:
        return []  # admit reports an unreadable key when it needs it
    if b"PRIVATE KEY-----" not in head or is_encrypted_pem(head):
        return []
    return [
        LintProblem(
            str(path),
            1,
            1,
            "warning",
            "site key: an unencrypted PEM private key; whoever copies this file can sign "
            "admissions and audit records: re-create it with `provenance keys generate "
            "--encrypt` (passphrase from $PROVENANCE_KEY_PASSPHRASE or a prompt) or keep it in "
            "a token (--site-key pkcs11:token=...;object=...)",
        )
    ]
