"""`provenance --version`: what a verdict depends on, for a bug report or an audit.

The tool's version, Python's, the verification libraries' (their fixes change what verifies),
and the trust roots embedded in the installed sigstore package with their TUF root's version
and expiry: an expired embedded root still verifies offline (nothing here reads the clock to
refuse), but a site should import a fresh one (`provenance trust import`).
"""

from __future__ import annotations

import json
import platform
from datetime import UTC, datetime
from importlib import metadata, resources
from typing import Any

import click

__all__ = ["version_option"]

# The distributions whose behaviour decides what verifies or parses.
_LIBRARIES = (
    "sigstore", "sigstore-models", "cryptography", "rfc3161-client", "tuf",
    "cyclonedx-python-lib", "pysequoia", "python-pkcs11", "lxml", "jiter",
)  # fmt: skip
_EMBEDDED = {
    "production": "https%3A%2F%2Ftuf-repo-cdn.sigstore.dev",
    "staging": "https%3A%2F%2Ftuf-repo-cdn.sigstage.dev",
}


def _installed(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _embedded_root(folder: str, now: datetime) -> str:
    try:
        text = (resources.files("sigstore") / "_store" / folder / "root.json").read_text()
        signed: dict[str, Any] = json.loads(text)["signed"]
        expires = datetime.fromisoformat(str(signed["expires"]).replace("Z", "+00:00"))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return f"unreadable ({exc})"
    state = "EXPIRED" if expires <= now else "expires"
    return f"TUF root version {signed.get('version')}, {state} {expires.date().isoformat()}"


def version_text(now: datetime) -> str:
    lines = [
        f"provenance {_installed('ot-provenance')}",
        f"python {platform.python_version()}",
        *(f"{name} {_installed(name)}" for name in _LIBRARIES),
    ]
    lines += [
        f"embedded trust root {which} (sigstore {_installed('sigstore')}): "
        f"{_embedded_root(folder, now)}"
        for which, folder in _EMBEDDED.items()
    ]
    return "\n".join(lines)


def _show(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    click.echo(version_text(datetime.now(UTC)))
    ctx.exit(0)


version_option = click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_show,
    help="Show the version, the verification libraries' and the embedded trust roots', and exit.",
)
