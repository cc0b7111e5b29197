"""--format markdown: a job summary / change ticket with an overview, details and
collapsible evidence; vendor text is inert."""

from __future__ import annotations

from pathlib import Path

from provenance.report.markdown import md
from provenance.report.render import render
from tests.report_support import acme_mixed, hostile_delivery, northwind_mixed, refused_archive


def test_overview_table_then_one_section_per_artifact() -> None:
    text = render("markdown", acme_mixed(), color=False)
    lines = text.splitlines()
    assert lines[0] == "## provenance: DENY: 2 of 3 artifact(s) denied for level1-controllers"
    # the denied ones are named under the heading, and lead the overview
    assert lines[2:4] == [
        "- ❌ plc-firmware-3.9.0.bin: failed in_toto, sbom, licenses, version, approvals",
        "- ❌ hmi-setup-2.0.exe: failed provenance, in_toto, approvals",
    ]
    overview = [line for line in lines if line.startswith("| plc-") or line.startswith("| hmi-")]
    assert [row.split(" | ")[0] for row in overview[:3]] == [
        "| plc-firmware-3.9.0.bin",
        "| hmi-setup-2.0.exe",
        "| plc-firmware-4.2.1.bin",
    ]
    assert "| artifact | decision | evidence | failed requirements |" in lines
    assert "| plc-firmware-4.2.1.bin | ✅ allow | attested-build | none |" in lines
    assert (
        "| plc-firmware-3.9.0.bin | ❌ **deny** | attested-build "
        "| in_toto, sbom, licenses, version, approvals |"
    ) in lines
    assert "### plc-firmware-3.9.0.bin: ❌ **deny**" in lines
    assert (
        "| version | **FAIL** | expected a version matching &gt;=4.0,&lt;5, got 3.9.0 "
        "(signed-identity) |"
    ) in lines
    assert any(line.startswith("- **approvals**: what to do: ") for line in lines)


def test_evidence_is_collapsible_with_signers_sbom_and_approvals() -> None:
    text = render("markdown", acme_mixed(), color=False)
    first = text.split("### plc-firmware-4.2.1.bin")[1].split("### ")[0]
    assert "<details><summary>Evidence</summary>" in first
    assert "</details>" in first
    assert "| acme-automation | https://github.com/acme-automation/plc-firmware/" in first
    assert "SBOM: CycloneDX 1.6 (json), 3 components, bound: signed-attestation" in first
    assert "- approved by alice (ot-security) at 2026-06-03T14:30:00+00:00" in first
    assert "| plc-firmware-4.2.1.bin.sigstore.json | `42ef19151fba" in first


def test_unrecognised_files_and_refusal() -> None:
    text = render("markdown", northwind_mixed(), color=False)
    assert "<details><summary>Not decided about (4)</summary>" in text
    assert "- policy.yaml: not an artifact or evidence" in text
    refused = render("markdown", refused_archive(), color=False)
    assert "> ❌ **Refused**: entry '../../etc/cron.d/x' escapes the extraction folder" in refused


def test_vendor_text_is_inert_markdown() -> None:
    assert md("<img src=x onerror=alert(1)>") == "&lt;img src=x onerror=alert(1)&gt;"
    assert md("[click](https://evil.example)") == "\\[click\\](https://evil.example)"
    assert md("a|b") == "a\\|b"  # would split a table cell
    assert md("@octocat #12") == "\\@octocat \\#12"  # no mention, no issue link
    assert md("*x* _y_ `z` ~w~") == "\\*x\\* \\_y\\_ \\`z\\` \\~w\\~"
    # Only what Markdown needs: versions and URLs read as written in a change ticket.
    assert md("2.0 https://vendor.example/a_b/c") == "2.0 https://vendor.example/a_b/c"
    assert md("_y_ x_") == "\\_y\\_ x\\_"  # emphasis, not an underscore inside a word
    assert md("alice@example.com a#1") == "alice@example.com a#1"  # no mention, no reference
    assert md("line\nbreak\x1b[2J") == "line break\\\\x1b\\[2J"


def test_hostile_delivery_renders_no_html(tmp_path: Path) -> None:
    text = render("markdown", hostile_delivery(tmp_path), color=False)
    assert "<img" not in text
    assert "<script" not in text
    assert "\x1b" not in text
    assert "&lt;script&gt;alert(document.domain)&lt;!--.txt" in text
    # the only raw HTML is our own folding
    tags = {part.split(">")[0].split()[0] for part in text.split("<")[1:]}
    assert tags <= {"details", "/details", "summary", "/summary", "sub", "/sub"}
