"""`vulndb sync --online` against a local HTTP server on 127.0.0.1 serving a zip built from the
real Go records: download, resume after a cut connection, checksum, refusals."""

from __future__ import annotations

import base64
import hashlib
import threading
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from provenance.errors import InputError
from provenance.vulnerabilities.database import open_database
from provenance.vulnerabilities.matching import ComponentRef
from provenance.vulnerabilities.sync import sync_online
from tests.conftest import CliRunner, vulndata

NOW = datetime(2026, 2, 1, tzinfo=UTC)


class _Server:
    def __init__(self, body: bytes) -> None:
        self.body = body
        self.cut_first = False  # first answer announces everything, sends half, closes
        self.md5: str | None = base64.b64encode(hashlib.md5(body).digest()).decode()
        self.requests: list[str | None] = []
        self.status = 200


def _handler(server: _Server) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            return

        def do_GET(self) -> None:
            ranged = self.headers.get("Range")
            server.requests.append(ranged)
            if self.path != "/Go/all.zip" or server.status != 200:
                self.send_response(404 if server.status == 200 else server.status)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body, start = server.body, 0
            if ranged:
                start = int(ranged.removeprefix("bytes=").rstrip("-"))
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            else:
                self.send_response(200)
            if server.md5:
                self.send_header("x-goog-hash", f"crc32c=AAAAAA==, md5={server.md5}")
            self.send_header("Content-Length", str(len(body) - start))
            self.end_headers()
            if server.cut_first and len(server.requests) == 1:
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body[start:])

    return Handler


@pytest.fixture
def go_zip(tmp_path: Path) -> bytes:
    records = sorted(vulndata("osv/go").glob("data/osv/GO-2020-00*.json"))[:20]
    target = tmp_path / "all.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for record in records:
            archive.write(record, record.name)
    return target.read_bytes()


@pytest.fixture
def server(go_zip: bytes, loopback_network: None) -> Iterator[tuple[_Server, str]]:
    state = _Server(go_zip)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _no_sleep(_: float) -> None:
    return


def test_sync_downloads_checks_md5_and_imports(tmp_path: Path, server: tuple[_Server, str]) -> None:
    state, base = server
    result = sync_online(
        tmp_path / "state", now=NOW, ecosystems=["Go"], base_url=base, sleep=_no_sleep
    )
    (download,) = result.downloads
    assert download.checksum == "md5 verified"
    assert download.attempts == 1
    assert download.size == len(state.body)
    assert not download.resumed
    assert result.imported.ok
    assert result.imported.total("osv:added") == 20
    with open_database(tmp_path / "state", now=NOW) as db:
        gin = ComponentRef("gin", "v1.5.0", "pkg:golang/github.com/gin-gonic/gin@v1.5.0")
        assert "GO-2020-0001" in [m.record_id for _, m in db.match([gin]).pairs()]


def test_sync_resumes_a_cut_download(
    tmp_path: Path, server: tuple[_Server, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("provenance.vulnerabilities.sync.CHUNK_BYTES", 1024)  # body is 17 KB
    state, base = server
    state.cut_first = True
    result = sync_online(
        tmp_path / "state", now=NOW, ecosystems=["Go"], base_url=base, sleep=_no_sleep
    )
    (download,) = result.downloads
    assert state.requests == [None, f"bytes={len(state.body) // 2 // 1024 * 1024}-"]
    assert download.attempts == 2
    assert download.resumed
    assert download.path.read_bytes() == state.body
    assert download.checksum == "md5 verified"


def test_sync_md5_mismatch_deletes_and_fails(tmp_path: Path, server: tuple[_Server, str]) -> None:
    state, base = server
    state.md5 = base64.b64encode(b"\0" * 16).decode()
    with pytest.raises(InputError) as raised:
        sync_online(tmp_path / "state", now=NOW, ecosystems=["Go"], base_url=base, sleep=_no_sleep)
    assert str(raised.value) == (
        f"sync: {base}/Go/all.zip: MD5 mismatch: expected {'00' * 16} (x-goog-hash), got "
        f"{hashlib.md5(state.body).hexdigest()}; the download was deleted"
    )
    assert not (tmp_path / "state/vulndb-downloads/Go.zip.part").exists()
    assert not (tmp_path / "state/vulndb.sqlite").exists()


def test_sync_retries_server_errors_then_gives_up(
    tmp_path: Path, server: tuple[_Server, str]
) -> None:
    state, base = server
    state.status = 503
    with pytest.raises(InputError) as raised:
        sync_online(tmp_path / "state", now=NOW, ecosystems=["Go"], base_url=base, sleep=_no_sleep)
    assert "download failed after 4 attempts (HTTP 503)" in str(raised.value)
    assert len(state.requests) == 4


def test_sync_refuses_plain_http_to_other_hosts(tmp_path: Path) -> None:
    with pytest.raises(InputError) as raised:
        sync_online(tmp_path, now=NOW, base_url="http://mirror.example.org/osv")
    assert str(raised.value) == (
        "sync: base URL 'http://mirror.example.org/osv': expected https:// (http:// only to a "
        "loopback address)"
    )


def test_cli_sync_requires_online(cli: CliRunner, tmp_path: Path) -> None:
    result = cli("vulndb", "sync", "--state-dir", tmp_path)
    assert result.code == 2
    assert result.stderr == "error: vulndb sync: goes online; expected --online to say so\n"


def test_cli_sync_online(cli: CliRunner, tmp_path: Path, server: tuple[_Server, str]) -> None:
    _, base = server
    result = cli(
        "vulndb",
        "sync",
        "--online",
        "--ecosystem",
        "Go",
        "--base-url",
        base,
        "--state-dir",
        tmp_path / "state",
    )
    assert result.code == 0, result.stderr
    assert "md5 verified" in result.stdout
    assert "OSV records 20 added" in result.stdout
