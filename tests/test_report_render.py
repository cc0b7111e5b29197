"""render(): one entry point for every report format, over real vet results."""

from __future__ import annotations

import json

import pytest

from provenance.errors import UsageError
from provenance.report.render import FORMATS, render
from tests.report_support import ACME, acme_mixed, refused_archive, single_file


def test_formats_are_the_documented_six() -> None:
    assert FORMATS == ("text", "json", "sarif", "junit", "markdown", "html")


def test_unknown_format_is_a_usage_error_naming_the_choices() -> None:
    with pytest.raises(UsageError) as raised:
        render("pdf", acme_mixed(), color=False)
    assert str(raised.value) == (
        "report format: expected one of text, json, sarif, junit, markdown, html, got 'pdf'"
    )


def test_json_is_the_result_itself_indented_in_its_own_key_order() -> None:
    result = acme_mixed()
    out = render("json", result, color=False)
    assert json.loads(out) == result
    assert list(json.loads(out)) == list(result)  # not re-sorted
    assert out.startswith('{\n  "schema_version": 1,\n  "tool": ')
    assert out == render("json", result, color=True)  # colour never touches JSON
    assert out.endswith("}\n")


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_renders_a_single_verify_result_and_a_refused_archive(fmt: str) -> None:
    single = render(
        fmt, single_file(ACME, "plc-firmware-3.9.0.bin", "level3-operations"), color=False
    )
    assert "plc-firmware-3.9.0.bin" in single
    refused = render(fmt, refused_archive(), color=False)
    assert "acme-delivery.zip" in refused
    assert "escapes the extraction folder" in refused


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_is_deterministic(fmt: str) -> None:
    assert render(fmt, acme_mixed(), color=False) == render(fmt, acme_mixed(), color=False)
