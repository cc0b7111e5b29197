"""Shared test support. The suite is hermetic: any attempt to open a network socket fails."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from provenance._cli import main
from provenance.testing import PrivateSigstoreInstance


class NetworkAccessInTest(RuntimeError):
    pass


def _refuse(*_args: Any, **_kwargs: Any) -> Any:
    raise NetworkAccessInTest("tests must not open network connections")


_REAL_CONNECT = socket.socket.connect
_REAL_CREATE_CONNECTION = socket.create_connection
_REAL_GETADDRINFO = socket.getaddrinfo
_LOOPBACK = ("127.0.0.1", "localhost")


@pytest.fixture
def loopback_network(monkeypatch: pytest.MonkeyPatch, _no_network: None) -> None:
    """Connections to 127.0.0.1 only (a local test server); anything else is still refused."""

    def host_of(address: Any) -> Any:
        return address[0] if isinstance(address, tuple) else address

    def connect(sock: socket.socket, address: Any) -> Any:
        if host_of(address) not in _LOOPBACK:
            _refuse()
        return _REAL_CONNECT(sock, address)

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> Any:
        if host_of(address) not in _LOOPBACK:
            _refuse()
        return _REAL_CREATE_CONNECTION(address, *args, **kwargs)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in _LOOPBACK:
            _refuse()
        return _REAL_GETADDRINFO(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    # AF_UNIX socketpairs (used by asyncio and subprocess plumbing) stay allowed; any
    # attempt to connect or resolve a name is refused.
    monkeypatch.setattr(socket.socket, "connect", _refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", _refuse)
    monkeypatch.setattr(socket, "create_connection", _refuse)
    monkeypatch.setattr(socket, "getaddrinfo", _refuse)


# -- real third-party test data (../shared/corpora beside the checkout) --------------------

CORPORA = Path(os.environ.get("PROVENANCE_CORPORA", Path(__file__).parents[2] / "shared/corpora"))


def corpus(name: str) -> Path:
    """The named corpus folder; the calling test is skipped, saying why, if it is absent."""
    folder = CORPORA / name
    if not (folder / "expected.json").is_file():
        pytest.skip(
            f"corpus {name!r} not found at {folder} (set PROVENANCE_CORPORA to the folder "
            "holding the shared corpora; CI always has it)"
        )
    return folder


VULNDATA = Path(
    os.environ.get("PROVENANCE_VULNDATA", Path(__file__).parents[2] / "shared/vulndata")
)


def vulndata(name: str) -> Path:
    """A folder of ../shared/vulndata (e.g. "osv/pypi-subset"); the calling test is skipped,
    saying why, if it is absent."""
    folder = VULNDATA / name
    if not folder.exists():
        pytest.skip(
            f"vulnerability data {name!r} not found at {folder} (set PROVENANCE_VULNDATA to the "
            "folder holding the shared vulndata; CI always has it)"
        )
    return folder


# -- the CLI, called through its real entry point ----------------------------------------


@dataclass(frozen=True)
class CliResult:
    code: int
    stdout: str
    stderr: str


CliRunner = Callable[..., CliResult]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> CliRunner:
    """Run `provenance ARGS...` in-process via the console entry point; capture its output."""

    def run(*args: str | Path) -> CliResult:
        capsys.readouterr()
        with pytest.raises(SystemExit) as exited:
            main([str(arg) for arg in args])
        out = capsys.readouterr()
        code = exited.value.code
        assert isinstance(code, int), f"exit code must be an int, got {code!r}"
        return CliResult(code, out.out, out.err)

    return run


# -- a private Sigstore instance and a vendor release signed by it -----------------------

SIGNED_AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
IDENTITY = "https://github.com/acme/plc-fw/.github/workflows/release.yml@refs/tags/v4.2.1"
ISSUER = "https://token.actions.githubusercontent.com"


@pytest.fixture(scope="session")
def instance() -> PrivateSigstoreInstance:
    return PrivateSigstoreInstance.create(seed="provenance tests: site instance")


@pytest.fixture(scope="session")
def other_instance() -> PrivateSigstoreInstance:
    return PrivateSigstoreInstance.create(seed="provenance tests: somebody else's instance")


@dataclass(frozen=True)
class Release:
    """An artifact, its bundle and the trust root of the instance that signed it."""

    artifact: Path
    bundle: Path
    trusted_root: Path
    bundle_json: dict[str, Any]

    def identity_args(self, identity: str = IDENTITY, issuer: str = ISSUER) -> list[str]:
        return [
            str(self.artifact),
            "--bundle",
            str(self.bundle),
            "--trusted-root",
            str(self.trusted_root),
            "--certificate-identity",
            identity,
            "--certificate-oidc-issuer",
            issuer,
        ]

    def write_bundle(self, document: dict[str, Any] | bytes | str) -> Path:
        if isinstance(document, dict):
            document = json.dumps(document)
        data = document.encode() if isinstance(document, str) else document
        self.bundle.write_bytes(data)
        return self.bundle


@pytest.fixture
def release(tmp_path: Path, instance: PrivateSigstoreInstance) -> Release:
    artifact = tmp_path / "plc-firmware-4.2.1.bin"
    artifact.write_bytes(b"\x7fFW ACME PLC firmware 4.2.1\n" + bytes(range(256)) * 64)
    document = instance.sign_artifact(
        artifact.read_bytes(), identity=IDENTITY, issuer=ISSUER, signed_at=SIGNED_AT
    )
    bundle = tmp_path / "plc-firmware-4.2.1.bin.sigstore.json"
    bundle.write_text(json.dumps(document))
    return Release(
        artifact=artifact,
        bundle=bundle,
        trusted_root=instance.write_trusted_root(tmp_path / "trusted_root.json"),
        bundle_json=document,
    )
