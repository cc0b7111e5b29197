"""--format html: one self-contained, printable page, escaped throughout, checked in a real
headless Chromium (Debian's `chromium`; the browser tests skip, saying why, without it)."""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from provenance.report.html import CONTENT_SECURITY_POLICY
from provenance.report.render import render
from tests.report_browser import BrowserRun, chromium, open_in_browser
from tests.report_support import (
    HOSTILE_EXTRA,
    HOSTILE_PREFIX,
    acme_mixed,
    hostile_delivery,
    northwind_mixed,
    refused_archive,
)

_OUR_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "main", "footer", "h1", "h2",
    "h3", "p", "dl", "dt", "dd", "table", "thead", "tbody", "tr", "th", "td", "code", "strong",
    "span", "a", "br", "section", "details", "summary", "ul", "li",
}  # fmt: skip


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(page)
    parser.close()
    return parser.tags


def _assert_self_contained(page: str) -> None:
    for tag, attrs in _tags(page):
        assert tag in _OUR_TAGS, tag
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        for name in ("src", "srcset", "action", "poster", "data", "background"):
            assert name not in attrs, (tag, attrs)
        href = attrs.get("href")
        assert href is None or re.fullmatch(r"#artifact-\d+", href), href
    style = page.split("<style>")[1].split("</style>", maxsplit=1)[0]
    assert "url(" not in style
    assert "@import" not in style
    assert "@font-face" not in style


def test_self_contained_with_a_content_security_policy_that_loads_nothing() -> None:
    for result in (acme_mixed(), northwind_mixed(), refused_archive()):
        page = render("html", result, color=False)
        assert page.startswith('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">')
        _assert_self_contained(page)
        assert f'content="{CONTENT_SECURITY_POLICY}"' in page.replace("&#x27;", "'")
    assert "default-src 'none'" in CONTENT_SECURITY_POLICY
    assert "script-src" not in CONTENT_SECURITY_POLICY  # default-src 'none' forbids scripts


def test_printable() -> None:
    page = render("html", acme_mixed(), color=False)
    assert "@media print" in page
    assert "break-inside: avoid-page" in page
    # every folded section starts open, so evidence shows on paper too: one per artifact,
    # the delivery's evidence files and its unrecognised files
    assert page.count("<details open>") == 3 + 2
    assert "<details>" not in page


def test_overview_and_per_artifact_content() -> None:
    page = render("html", acme_mixed(), color=False)
    assert (
        '<p class="verdict deny">DENY: 2 of 3 artifact(s) denied for level1-controllers</p>' in page
    )
    # Denied artifacts first: what needs a person's attention.
    assert '<a href="#artifact-1"><code>plc-firmware-3.9.0.bin</code></a>' in page
    assert '<a href="#artifact-3"><code>plc-firmware-4.2.1.bin</code></a>' in page
    assert '<section class="artifact deny" id="artifact-1">' in page
    section = page.split('id="artifact-1">')[1].split("</section>")[0]
    assert "<strong>attested-build</strong>: build provenance signed by the vendor" in section
    assert (
        "expected a version matching &gt;=4.0,&lt;5, got 3.9.0 (signed-identity)<br>"
        '<span class="muted">What to do: Use a release in the allowed range' in section
    )
    assert (
        "https://github.com/acme-automation/plc-firmware/.github/workflows/release.yml" in section
    )
    allowed = page.split('id="artifact-3">')[1].split("</section>")[0]
    assert "CycloneDX 1.6 (json), 3 components, bound: signed-attestation" in allowed
    assert "<td>alice</td><td>ot-security</td>" in allowed
    assert "plc-firmware-4.2.1.bin.approval-alice.json" in allowed
    assert "Not decided about (6)" in page
    assert "<code>trusted_root.json</code>" in page


def test_hostile_names_are_escaped_everywhere(tmp_path: Path) -> None:
    page = render("html", hostile_delivery(tmp_path), color=False)
    _assert_self_contained(page)
    assert "<img" not in page
    assert "<script" not in page
    assert "\x1b" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;&quot;&amp;\\x1b[31mplc-firmware-4.2.1.bin" in page
    assert "&lt;script&gt;alert(document.domain)&lt;!--.txt" in page


# -- in a real browser ------------------------------------------------------------------


def _artifacts_dir(tmp_path: Path) -> Path:
    """Where screenshots go: $PROVENANCE_TEST_ARTIFACTS if set (CI keeps it), else tmp."""
    configured = os.environ.get("PROVENANCE_TEST_ARTIFACTS")
    folder = Path(configured) if configured else tmp_path / "artifacts"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _browse(tmp_path: Path, name: str, page: str) -> tuple[BrowserRun, Path]:
    if chromium() is None:
        pytest.skip("chromium not installed (Debian: apt-get install chromium; .ci/run does)")
    report = tmp_path / f"{name}.html"
    report.write_text(page, encoding="utf-8")
    run = open_in_browser(report, tmp_path / "profile")
    shot = _artifacts_dir(tmp_path) / f"report-{name}.png"
    shot.write_bytes(run.screenshot)
    print(f"screenshot of the {name} report: {shot}")
    return run, report


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_browser_renders_the_report_offline_without_errors(tmp_path: Path) -> None:
    result = acme_mixed()
    run, report = _browse(tmp_path, "acme", render("html", result, color=False))
    assert run.requests == [report.resolve().as_uri()]  # itself, nothing else
    assert run.errors() == []
    facts: dict[str, Any] = run.facts
    assert facts["title"] == "provenance: DENY acme-delivery"
    assert facts["sections"] == 3
    assert set(facts["tags"]) <= _OUR_TAGS
    assert "DENY: 2 of 3 artifact(s) denied for level1-controllers" in facts["text"]
    assert facts["width"] <= 1280  # no sideways scrolling at a laptop's width
    width, height = _png_size(run.screenshot)
    assert 1200 <= width <= 1280  # the viewport, less any scrollbar
    assert height > 900  # the whole page, not just the first screen
    assert run.pdf.startswith(b"%PDF-")  # it prints


def test_browser_shows_hostile_names_as_text_and_runs_nothing(tmp_path: Path) -> None:
    run, report = _browse(
        tmp_path, "hostile", render("html", hostile_delivery(tmp_path), color=False)
    )
    assert run.requests == [report.resolve().as_uri()]
    assert run.errors() == []
    assert run.dialogs == []
    assert "img" not in run.facts["tags"]
    assert "script" not in run.facts["tags"]
    assert HOSTILE_PREFIX.replace("\x1b", "\\x1b") + "plc-firmware-4.2.1.bin" in run.facts["text"]
    assert HOSTILE_EXTRA in run.facts["text"]


def test_browser_harness_does_see_errors_and_requests(tmp_path: Path) -> None:
    # Without this, "no errors, no requests" above could be a harness that sees nothing.
    page = (
        "<!DOCTYPE html><html><head><title>bad</title></head><body>"
        '<script>console.error("boom")</script><img src="http://example.invalid/x.png">'
        "</body></html>"
    )
    run, report = _browse(tmp_path, "harness-check", page)
    assert run.requests == [report.resolve().as_uri(), "http://example.invalid/x.png"]
    errors = run.errors()
    assert "console.error: ['boom']" in errors
    assert any("ERR_NAME_NOT_RESOLVED" in e for e in errors), errors
