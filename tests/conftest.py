"""Shared test support. The suite is hermetic: any attempt to open a network socket fails."""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

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


# -- PostgreSQL: a throwaway cluster for the shared-ledger tests ---------------------------


@pytest.fixture(scope="session")
def postgresql_server() -> Iterator[str]:
    """The URI of a PostgreSQL server the tests may create databases in: CI's
    (`$PROVENANCE_TEST_POSTGRESQL`, started by `.ci/run`), else one started here from Debian's
    server binaries; skipped, saying why, where neither is available.

    libpq's sockets are not Python's, so the suite's socket guard does not see them: the
    server must be on a Unix socket or the loopback interface, never elsewhere.
    """
    from tests import pg_cluster  # noqa: PLC0415

    configured = os.environ.get(pg_cluster.ENV, "")
    if configured:
        _require_local(configured)
        yield configured
        return
    if pg_cluster.find_binaries() is None:
        pytest.skip(
            "PostgreSQL is not installed here (no initdb): `.ci/run` installs Debian's "
            f"postgresql and sets ${pg_cluster.ENV}; the shared-ledger tests need a server"
        )
    base = Path(tempfile.mkdtemp(prefix="provenance-pg-"))
    base.chmod(0o755)  # initdb runs as `postgres` when the tests run as root
    try:
        uri = pg_cluster.start(base / "cluster")
    except RuntimeError as exc:
        shutil.rmtree(base, ignore_errors=True)
        pytest.skip(f"PostgreSQL could not be started here: {exc}")
    try:
        yield uri
    finally:
        pg_cluster.stop(base / "cluster")
        shutil.rmtree(base, ignore_errors=True)


def _require_local(uri: str) -> None:
    hosts = [value for key, value in parse_qsl(urlsplit(uri).query) if key == "host"]
    netloc_host = urlsplit(uri).hostname
    local = all(host.startswith("/") for host in hosts) and netloc_host in (None, *_LOOPBACK)
    if not local:
        raise NetworkAccessInTest(f"the test PostgreSQL server must be local, got {uri!r}")


def database_uri(server: str, name: str) -> str:
    """`server` with another database name."""
    parts = urlsplit(server)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


@pytest.fixture
def postgresql_uri(postgresql_server: str) -> Iterator[str]:
    """A new, empty database on the test server, dropped afterwards."""
    import psycopg  # noqa: PLC0415

    name = f"ledger_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(postgresql_server, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield database_uri(postgresql_server, name)
    finally:
        with psycopg.connect(postgresql_server, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
