"""Fetch attestations for a digest from GitHub's attestation API: the one online input of
`provenance verify --segment ... --attestations-from github:OWNER/REPO`.

Fetching proves nothing: every bundle is verified afterwards exactly like a local file, so the
API (or anyone between) can withhold evidence but never forge it. What this module guards is
the operator's machine and token:
- HTTPS only (plain HTTP only to a loopback address, for tests and local mirrors);
- the token (`GITHUB_TOKEN`) goes only to the API's own origin, never to a `Link` elsewhere;
- timeouts, a page limit and a response size limit: a hostile server cannot hang or flood us.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3

from provenance.errors import InputError
from provenance.inputs.documents import EvidenceDocument

__all__ = ["API_URL_ENV", "GitHubRepository", "fetch_attestations", "parse_source"]

API_URL_ENV = "GITHUB_API_URL"  # set by GitHub Actions, and on GitHub Enterprise Server
DEFAULT_API_URL = "https://api.github.com"
TOKEN_ENV = "GITHUB_TOKEN"  # noqa: S105 -- the variable's name, not a secret
TIMEOUT_SECONDS = (10, 30)  # connect, read
PER_PAGE = 100
MAX_PAGES = 10
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
_SOURCE = re.compile(r"github:([A-Za-z0-9_.-]{1,100})/([A-Za-z0-9_.-]{1,100})")
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True)
class GitHubRepository:
    owner: str
    name: str


def parse_source(text: str) -> GitHubRepository:
    match = _SOURCE.fullmatch(text)
    if match is None or match.group(2) in (".", ".."):
        raise InputError(f"--attestations-from: expected github:OWNER/REPO, got {text!r}")
    return GitHubRepository(match.group(1), match.group(2))


def _api_base(environ: Mapping[str, str]) -> str:
    base = environ.get(API_URL_ENV) or DEFAULT_API_URL
    parts = urlsplit(base)
    if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in _LOOPBACK):
        raise InputError(f"{API_URL_ENV}: expected an https:// URL, got {base!r}")
    return base.rstrip("/")


def fetch_attestations(
    repository: GitHubRepository,
    sha256_hex: str,
    *,
    environ: Mapping[str, str] | None = None,
    session: requests.Session | None = None,
) -> list[EvidenceDocument]:
    """Every attestation GitHub holds for the digest in the repository (none: empty list).

    Raises `InputError` when the API cannot be used (network, rate limit, bad token, a
    response that is not the API's shape): the command could not run as asked (exit 2).
    """
    environ = os.environ if environ is None else environ
    base = _api_base(environ)
    origin = urlsplit(base)[:2]
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
    token = environ.get(TOKEN_ENV)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    http = session or requests.Session()
    where = f"github:{repository.owner}/{repository.name}"
    url: str | None = (
        f"{base}/repos/{repository.owner}/{repository.name}/attestations/sha256:{sha256_hex}"
        f"?per_page={PER_PAGE}"
    )
    documents: list[EvidenceDocument] = []
    pages = 0
    while url is not None:
        pages += 1
        if pages > MAX_PAGES:
            raise InputError(f"{where}: more than {MAX_PAGES} pages of attestations; refused")
        if urlsplit(url)[:2] != origin:
            raise InputError(f"{where}: the API pointed to another origin ({url}); refused")
        page = _get(http, url, headers, where)
        if page is None:  # 404: GitHub's answer when it holds no attestation
            break
        for item in _attestations(page.body, where):
            number = len(documents) + 1
            bundle = item.get("bundle")
            if not isinstance(bundle, dict):
                raise InputError(
                    f"{where}: attestation {number} has no inline bundle (only a bundle_url, "
                    "which this tool does not follow); download it and pass it with --evidence"
                )
            documents.append(
                EvidenceDocument(f"{where} attestation {number}", json.dumps(bundle).encode())
            )
        url = page.next_url
    return documents


@dataclass(frozen=True)
class _Page:
    body: bytes
    next_url: str | None


def _next_url(link_header: str | None) -> str | None:
    for link in requests.utils.parse_header_links(link_header or ""):
        if link.get("rel") == "next" and link.get("url"):
            return link["url"]
    return None


def _get(http: requests.Session, url: str, headers: Mapping[str, str], where: str) -> _Page | None:
    try:
        # No redirects: a 3xx could lead to another origin or to plain HTTP, outside the
        # checks above; the API answers 200 or an error.
        with http.get(
            url, headers=headers, timeout=TIMEOUT_SECONDS, stream=True, allow_redirects=False
        ) as response:
            body = response.raw.read(MAX_RESPONSE_BYTES + 1, decode_content=True)
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        raise InputError(f"{where}: cannot reach the GitHub API: {exc}") from exc
    if len(body) > MAX_RESPONSE_BYTES:
        raise InputError(f"{where}: response larger than {MAX_RESPONSE_BYTES} bytes; refused")
    if response.status_code == 404:
        return None
    if response.status_code in (403, 429) and response.headers.get("X-RateLimit-Remaining") == "0":
        reset = response.headers.get("X-RateLimit-Reset", "?")
        raise InputError(
            f"{where}: GitHub API rate limit reached (resets at epoch {reset}); set "
            f"{TOKEN_ENV} for a higher limit"
        )
    if response.status_code == 401:
        raise InputError(f"{where}: GitHub rejected the token in {TOKEN_ENV} (401)")
    if response.status_code != 200:
        raise InputError(f"{where}: GitHub API answered {response.status_code} for {url}")
    return _Page(body, _next_url(response.headers.get("Link")))


def _attestations(body: bytes, where: str) -> list[dict[str, Any]]:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise InputError(f"{where}: the API's answer is not JSON") from exc
    items = document.get("attestations") if isinstance(document, dict) else None
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise InputError(
            f"{where}: expected {{attestations: [...]}} from the API, got another shape"
        )
    return items
