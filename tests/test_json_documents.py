"""One JSON shape per result, each naming its schema, each schema usable with plain jsonschema.

Every `--format json` document (and `--report json=`) carries `"schema": "<$id>"`; the schema
with that `$id` is in `provenance/report/schemas/` and validates the document with nothing but
`jsonschema.validate(document, schema)`: the vet result bundles the decision result it holds.
A decision about one artifact has one shape wherever it appears: `verify --segment --format
json`, its `--report json=`, an element of `vet`'s `artifacts`, and `admit` (with what it
recorded).
"""

from __future__ import annotations

import json
import shutil
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.conftest import CliRunner, Release, vulndata
from tests.gate_helpers import L1, Site, make_site
from tests.report_support import ACME

SCHEMAS = Path(__file__).parents[1] / "provenance" / "report" / "schemas"
SEGMENT = "level1-controllers"


@cache
def _schemas() -> dict[str, dict[str, Any]]:
    found = {}
    for path in sorted(SCHEMAS.glob("*.schema.json")):
        schema = json.loads(path.read_text())
        jsonschema.Draft202012Validator.check_schema(schema)
        found[schema["$id"]] = schema
    return found


def _valid(document: dict[str, Any]) -> dict[str, Any]:
    """`document` validates against the schema it names, with plain jsonschema."""
    schema = _schemas()[document["schema"]]
    jsonschema.validate(document, schema, format_checker=jsonschema.FormatChecker())
    return document


def _json(text: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(text)
    return _valid(document)


def test_every_schema_is_named_after_its_id() -> None:
    ids = {schema["$id"]: path.name for path in SCHEMAS.glob("*.json")
           for schema in [json.loads(path.read_text())]}  # fmt: skip
    assert len(ids) == 9
    for schema_id, name in ids.items():
        assert schema_id.startswith("urn:ot-provenance:schema:")
        assert name.startswith(schema_id.split(":")[3].removesuffix("-v1"))
        assert _schemas()[schema_id]["properties"]["schema"] == {
            **_schemas()[schema_id]["properties"]["schema"],
            "const": schema_id,
        }


def test_the_vet_schema_bundles_the_decision_schema_exactly() -> None:
    decision = _schemas()["urn:ot-provenance:schema:decision-result:v1"]
    vet = _schemas()["urn:ot-provenance:schema:vet-result:v1"]
    bundled = vet["$defs"]["decision-result"]
    assert bundled == {k: v for k, v in decision.items() if k != "$schema"}
    assert vet["properties"]["artifacts"]["items"] == {"$ref": decision["$id"]}


def test_the_admit_schema_is_the_decision_schema_plus_what_was_recorded() -> None:
    decision = _schemas()["urn:ot-provenance:schema:decision-result:v1"]
    admit = _schemas()["urn:ot-provenance:schema:admit-result:v1"]
    extra = set(admit["properties"]) - set(decision["properties"])
    assert extra == {"audit", "admission"}
    for name, rule in decision["properties"].items():
        if name != "schema":
            assert admit["properties"][name] == rule, name
    assert admit["required"] == [*decision["required"], "audit", "admission"]


def test_a_vet_document_validates_and_its_artifacts_are_decisions(cli: CliRunner) -> None:
    result = cli("vet", ACME, "--policy", ACME / "policy.yaml", "--segment", SEGMENT,
                 "--format", "json")  # fmt: skip
    assert result.code == 1, result.stderr
    vet = _json(result.stdout)
    assert vet["schema"] == "urn:ot-provenance:schema:vet-result:v1"
    for artifact in vet["artifacts"]:
        assert _valid(artifact)["schema"] == "urn:ot-provenance:schema:decision-result:v1"
    broken = json.loads(result.stdout)
    broken["artifacts"][0]["decision"] = "maybe"  # the bundled decision schema bites
    with pytest.raises(jsonschema.ValidationError, match="'maybe' is not one of"):
        _valid(broken)


def test_verify_segment_prints_and_reports_the_same_decision(
    cli: CliRunner, tmp_path: Path
) -> None:
    report = tmp_path / "decision.json"
    args = ["--segment", SEGMENT, "--format", "json", "--report", f"json={report}"]
    result = cli("verify", ACME / "plc-firmware-4.2.1.bin", "--policy", ACME / "policy.yaml", *args)
    printed = _json(result.stdout)
    assert printed["schema"] == "urn:ot-provenance:schema:decision-result:v1"
    assert json.loads(report.read_text()) == printed
    vetted = cli("vet", ACME, "--policy", ACME / "policy.yaml", "--segment", SEGMENT,
                 "--format", "json")  # fmt: skip
    element = next(
        a for a in json.loads(vetted.stdout)["artifacts"]
        if a["artifact"]["name"] == "plc-firmware-4.2.1.bin"
    )  # fmt: skip
    assert set(element) == set(printed)
    # Evidence paths differ (relative to the delivery in vet); the decision is the same.
    decided = [(f["rule"], f["passed"], f["reason"]) for f in element["findings"]]
    assert decided == [(f["rule"], f["passed"], f["reason"]) for f in printed["findings"]]


def test_admit_is_the_decision_with_what_it_recorded(cli: CliRunner, tmp_path: Path) -> None:
    site: Site = make_site(tmp_path)
    result = cli(*site.admit_args("plc-firmware-4.2.1.bin", L1, "--format", "json"))
    admitted = _json(result.stdout)
    assert admitted["schema"] == "urn:ot-provenance:schema:admit-result:v1"
    assert {"audit", "admission"} < set(admitted)


def test_plain_verify_document(cli: CliRunner, release: Release) -> None:
    result = cli("verify", *release.identity_args(), "--format", "json")
    assert result.code == 0, result.stderr
    assert _json(result.stdout)["schema"] == "urn:ot-provenance:schema:verify-result:v1"


def test_sbom_documents(cli: CliRunner, tmp_path: Path) -> None:
    sbom = Path(__file__).parents[1] / "fixtures/sboms/plc-firmware-4.2.1.cdx.json"
    summary = _json(cli("sbom", "check", sbom, "--format", "json").stdout)
    assert summary["schema"] == "urn:ot-provenance:schema:sbom-summary:v1"
    checked = cli("sbom", "check", sbom, "--policy", ACME / "policy.yaml", "--segment", SEGMENT,
                  "--format", "json")  # fmt: skip
    assert _json(checked.stdout)["schema"] == "urn:ot-provenance:schema:sbom-check:v1"
    state = tmp_path / "state"
    imported = cli("vulndb", "import", vulndata("kev") / "known_exploited_vulnerabilities.json",
                   "--state-dir", state, "--format", "json")  # fmt: skip
    assert _json(imported.stdout)["schema"] == "urn:ot-provenance:schema:vulndb:v1"
    status = cli("vulndb", "status", "--state-dir", state, "--format", "json")
    assert _json(status.stdout)["schema"] == "urn:ot-provenance:schema:vulndb:v1"
    scanned = cli("sbom", "scan", sbom, "--state-dir", state, "--format", "json")
    assert scanned.code == 0, scanned.stderr
    assert _json(scanned.stdout)["schema"] == "urn:ot-provenance:schema:sbom-scan:v1"


def test_the_documented_two_line_check_works(tmp_path: Path, cli: CliRunner) -> None:
    """README's example: the schema file named by the document validates it, nothing else."""
    delivery = tmp_path / "acme"
    shutil.copytree(ACME, delivery)
    out = cli("vet", delivery, "--policy", delivery / "policy.yaml", "--segment", SEGMENT,
              "--format", "json").stdout  # fmt: skip
    document = json.loads(out)
    name = document["schema"].split(":")[3] + ".v1.schema.json"
    jsonschema.validate(document, json.loads((SCHEMAS / name).read_text()))
