"""`--attestations-from github:OWNER/REPO` against a local server on 127.0.0.1 that answers
like GitHub's attestation API (recorded response shapes), never the internet."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from provenance.errors import InputError
from provenance.inputs.github_attestations import (
    GitHubRepository,
    fetch_attestations,
    parse_source,
)
from tests.conftest import CliRunner

FIXTURES = Path(__file__).parents[1] / "fixtures/acme-delivery"
FIRMWARE = FIXTURES / "plc-firmware-4.2.1.bin"


class FakeGitHub:
    """Pages of attestations by path; records each request's path and Authorization."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.requests: list[tuple[str, str | None]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake.requests.append((self.path, self.headers.get("Authorization")))
                status, headers, body = fake.pages.get(self.path, (404, {}, b'{"message":"x"}'))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def page(self, path: str, bundles: list[Any], headers: dict[str, str] | None = None) -> None:
        body = json.dumps({"attestations": [{"bundle": b, "repository_id": 1} for b in bundles]})
        self.pages[path] = (200, headers or {}, body.encode())


@pytest.fixture
def github(loopback_network: None) -> Iterator[FakeGitHub]:
    fake = FakeGitHub()
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def bundle(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


DIGEST = "021f5e6cb709ee5e777e4d2f67f4db01f6a2619d3bb43cf46acb68252afe6ff5"
FIRST = f"/repos/acme-automation/plc-firmware/attestations/sha256:{DIGEST}?per_page=100"


def test_fetched_attestations_are_verified_like_files(
    cli: CliRunner, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_API_URL", github.url)
    monkeypatch.setenv("GITHUB_TOKEN", "test-token")
    second = "/page2"
    github.page(
        FIRST,
        [bundle("plc-firmware-4.2.1.bin.sigstore.json")],
        {"Link": f'<{github.url}{second}>; rel="next"'},
    )
    github.page(second, [bundle("plc-firmware-4.2.1.bin.provenance.sigstore.json")])
    result = cli(
        "verify", FIRMWARE, "--policy", FIXTURES / "policy.yaml", "--segment",
        "level3-operations", "--evidence", FIXTURES / "plc-firmware-4.2.1.bin.sigstore.json",
        "--attestations-from", "github:acme-automation/plc-firmware", "--format", "json",
    )  # fmt: skip
    assert result.code == 0, result.stderr
    report = json.loads(result.stdout)
    assert [a["source"] for a in report["evidence"]["attestations"]] == [
        "github:acme-automation/plc-firmware attestation 2"
    ]
    assert github.requests == [(FIRST, "Bearer test-token"), (second, "Bearer test-token")]


def test_no_attestations_is_404_and_an_empty_answer(
    github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    repository = GitHubRepository("acme-automation", "plc-firmware")
    assert fetch_attestations(repository, DIGEST, environ={"GITHUB_API_URL": github.url}) == []


def test_a_next_link_to_another_origin_is_refused(github: FakeGitHub) -> None:
    github.page(FIRST, [], {"Link": '<https://evil.example/steal>; rel="next"'})
    with pytest.raises(InputError, match=r"the API pointed to another origin .*; refused"):
        fetch_attestations(
            GitHubRepository("acme-automation", "plc-firmware"),
            DIGEST,
            environ={"GITHUB_API_URL": github.url, "GITHUB_TOKEN": "secret"},
        )
    assert len(github.requests) == 1


def test_rate_limit_says_when_and_what_to_do(
    cli: CliRunner, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_API_URL", github.url)
    github.pages[FIRST] = (
        403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1780000000"}, b"{}"
    )  # fmt: skip
    result = cli(
        "verify", FIRMWARE, "--policy", FIXTURES / "policy.yaml", "--segment",
        "level3-operations", "--attestations-from", "github:acme-automation/plc-firmware",
    )  # fmt: skip
    assert result.code == 2
    assert result.stderr == (
        "error: github:acme-automation/plc-firmware: GitHub API rate limit reached (resets at "
        "epoch 1780000000); set GITHUB_TOKEN for a higher limit\n"
    )


def test_answers_of_the_wrong_shape_are_refused(github: FakeGitHub) -> None:
    github.pages[FIRST] = (200, {}, b'{"attestations": {"not": "a list"}}')
    with pytest.raises(InputError, match=re.escape("expected {attestations: [...]} from the API")):
        fetch_attestations(
            GitHubRepository("acme-automation", "plc-firmware"),
            DIGEST,
            environ={"GITHUB_API_URL": github.url},
        )


@pytest.mark.parametrize("url", ["http://api.example", "ftp://127.0.0.1", "file:///etc"])
def test_plain_http_only_to_loopback(url: str) -> None:
    with pytest.raises(InputError, match="GITHUB_API_URL: expected an https:// URL"):
        fetch_attestations(GitHubRepository("a", "b"), DIGEST, environ={"GITHUB_API_URL": url})


@pytest.mark.parametrize("text", ["github:acme", "gitlab:a/b", "github:a/b/c", "github:a/.."])
def test_source_must_be_github_owner_repo(text: str) -> None:
    with pytest.raises(InputError, match="expected github:OWNER/REPO"):
        parse_source(text)


def test_unreachable_api_is_a_clear_usage_error(
    cli: CliRunner, loopback_network: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_API_URL", "http://127.0.0.1:9")  # discard port: nothing listens
    result = cli(
        "verify", FIRMWARE, "--policy", FIXTURES / "policy.yaml", "--segment",
        "level3-operations", "--attestations-from", "github:acme-automation/plc-firmware",
    )  # fmt: skip
    assert result.code == 2
    assert result.stderr.startswith(
        "error: github:acme-automation/plc-firmware: cannot reach the GitHub API: "
    )


def test_redirects_are_not_followed(github: FakeGitHub) -> None:
    github.pages[FIRST] = (302, {"Location": "http://evil.example/x"}, b"")
    with pytest.raises(InputError, match="GitHub API answered 302"):
        fetch_attestations(
            GitHubRepository("acme-automation", "plc-firmware"),
            DIGEST,
            environ={"GITHUB_API_URL": github.url, "GITHUB_TOKEN": "secret"},
        )
    assert len(github.requests) == 1
