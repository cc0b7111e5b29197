"""Matching SBOM components to CSAF advisories: by CVE, model number, purl/CPE, product name.

The real data: CISA's CSAF of Siemens SSA-… (ICSA-19-099-06, CVE-2019-6568: the web server of
SIMATIC CPs and ET 200 CPUs), matched with synthetic SBOM components.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from provenance.evidence.json_input import load_json
from provenance.vulnerabilities.csaf_matching import (
    ComponentQuery,
    CsafIndex,
    match_component,
)
from provenance.vulnerabilities.csaf_products import CsafAdvisory, parse_csaf
from tests.conftest import vulndata
from tests.test_csaf_products import SMALL


@pytest.fixture(scope="module")
def siemens() -> CsafAdvisory:
    path = vulndata("csaf/cisa-ot") / "2019/icsa-19-099-06.json"
    return parse_csaf(load_json(path.read_bytes()), "icsa-19-099-06.json")


def test_by_model_number_in_range(siemens: CsafAdvisory) -> None:
    # The order number as Siemens prints it on the device: with a space.
    cpu = ComponentQuery(
        name="ET 200pro CPU firmware", version="V3.2.10", model_numbers=("6ES7 154-8AB01-0AB0",)
    )
    (finding,) = match_component(cpu, [siemens])
    assert (finding.advisory, finding.cve) == ("ICSA-19-099-06", "CVE-2019-6568")
    assert (finding.match, finding.verdict) == ("model-number", "affected")
    assert finding.reason == (
        "model number 6ES7 154-8AB01-0AB0 names CSAFPID-0008 (SIMATIC ET 200pro IM154-8 PN/DP "
        "CPU (6ES7154-8AB01-0AB0)), known_affected; version V3.2.10 within 'vers:all/<V3.2.16'"
    )
    assert [p.product_id for p in finding.products] == ["CSAFPID-0008"]
    assert finding.remediations
    assert finding.remediations[0].category in ("vendor_fix", "mitigation")
    assert finding.scores[0].vector.startswith("CVSS:3.")


def test_by_model_number_fixed_version(siemens: CsafAdvisory) -> None:
    cpu = ComponentQuery(name="cpu", version="V3.2.16", model_numbers=("6ES7154-8AB01-0AB0",))
    (finding,) = match_component(cpu, [siemens])
    assert (finding.match, finding.verdict) == ("model-number", "not-affected")
    assert finding.reason.endswith("version V3.2.16 outside 'vers:all/<V3.2.16'")


def test_by_model_number_without_version_is_possible(siemens: CsafAdvisory) -> None:
    cpu = ComponentQuery(name="cpu", model_numbers=("6ES7154-8AB01-0AB0",))
    (finding,) = match_component(cpu, [siemens])
    assert (finding.match, finding.verdict) == ("model-number", "possible")
    assert finding.reason.endswith("component has no version to compare with 'vers:all/<V3.2.16'")


def test_by_cve(siemens: CsafAdvisory) -> None:
    # An SBOM component (or an OSV record about it) names the CVE: the advisory adds its
    # remediations and scores.
    library = ComponentQuery(name="webserver", version="1.0", cves=("cve-2019-6568",))
    (finding,) = match_component(library, [siemens])
    assert (finding.match, finding.verdict) == ("cve", "affected")
    assert finding.reason == "component names CVE-2019-6568"
    assert finding.products == ()
    assert finding.scores  # all the vulnerability's scores when no product was identified


def test_by_cve_and_model_number_keeps_the_vendor_verdict(siemens: CsafAdvisory) -> None:
    cpu = ComponentQuery(
        name="cpu",
        version="V3.2.16",
        model_numbers=("6ES7154-8AB01-0AB0",),
        cves=("CVE-2019-6568",),
    )
    (finding,) = match_component(cpu, [siemens])
    assert (finding.match, finding.verdict) == ("cve", "not-affected")
    assert finding.reason.startswith("component names CVE-2019-6568; model number")


def test_by_name_is_only_possible(siemens: CsafAdvisory) -> None:
    cp = ComponentQuery(name="SIMATIC CP 443-1", version="V3.1", supplier="Siemens AG")
    (finding,) = match_component(cp, [siemens])
    assert (finding.match, finding.verdict) == ("product-name", "possible")
    # Every SIMATIC CP 443-1 variant in the advisory is a candidate; the report lists them.
    names = sorted(p.product for p in finding.products)
    assert names == [
        "SIMATIC CP 443-1 (6GK7443-1EX30-0XE0)",
        "SIMATIC CP 443-1 (6GK7443-1EX30-0XE1)",
        "SIMATIC CP 443-1 Advanced (6GK7443-1GX30-0XE0)",
        "SIMATIC CP 443-1 OPC UA (6GK7443-1UX00-0XE0)",
    ]
    assert finding.reason.startswith(
        "vendor 'Siemens AG' and product name 'SIMATIC CP 443-1' names"
    )


def test_by_name_needs_the_vendor(siemens: CsafAdvisory) -> None:
    other = ComponentQuery(name="SIMATIC CP 443-1", version="V3.1", supplier="Acme Corp")
    assert match_component(other, [siemens]) == ()
    # Without a supplier only an identical product name counts.
    exact = ComponentQuery(name="simatic cp 1604 (6GK1160-4AA01)", version="V1")
    (finding,) = match_component(exact, [siemens])
    assert (finding.match, finding.verdict) == ("product-name", "possible")
    assert match_component(ComponentQuery(name="SIMATIC CP 1604", version="V1"), [siemens]) == ()


def test_unparsed_range_is_possible_with_the_text() -> None:
    document = copy.deepcopy(SMALL)
    plc = document["product_tree"]["branches"][0]["branches"][0]["branches"][0]
    plc["name"] = "< SP1 P01"
    advisory = parse_csaf(document, "acme.json")
    (finding,) = match_component(
        ComponentQuery(name="plc", version="V2.0", model_numbers=("5000-AX",)), [advisory]
    )
    assert (finding.match, finding.verdict) == ("model-number", "possible")
    assert finding.products[0].unparsed == "< SP1 P01"
    assert "cannot interpret version range '< SP1 P01'" in finding.reason


def _small() -> CsafAdvisory:
    return parse_csaf(SMALL, "acme.json")


def test_model_number_wildcard_and_purl() -> None:
    advisory = _small()
    (by_model,) = match_component(
        ComponentQuery(name="plc", version="V2.0.3", model_numbers=("5000-ABC",)), [advisory]
    )
    assert (by_model.match, by_model.verdict) == ("model-number", "affected")
    assert "model number 5000-ABC (as 5000-A*)" in by_model.reason
    # The relationship product "OpenSSL in PLC 5000" matches through the PLC it relates to.
    assert sorted(p.product_id for p in by_model.products) == ["P1", "P4"]
    assert by_model.vulnerability_ids == ("CVE-2026-1000", "ACME-SA-1")
    (by_purl,) = match_component(
        ComponentQuery(name="plc", purl="pkg:generic/acme/plc5000@V2.0"), [advisory]
    )
    assert (by_purl.match, by_purl.verdict) == ("purl", "affected")


def test_fixed_version_product() -> None:
    document = copy.deepcopy(SMALL)
    document["product_tree"]["branches"][0]["branches"][0]["branches"][1]["product"][
        "product_identification_helper"
    ] = {"model_numbers": ["5000-B"]}
    advisory = parse_csaf(document, "acme.json")
    fixed = ComponentQuery(name="plc", version="2.1", model_numbers=("5000-B",))
    (finding,) = match_component(fixed, [advisory])
    assert (finding.match, finding.verdict) == ("model-number", "fixed")
    # A different version than the fixed product's: no claim at all.
    assert (
        match_component(
            ComponentQuery(name="plc", version="2.2", model_numbers=("5000-B",)), [advisory]
        )
        == ()
    )


def test_cpe_match() -> None:
    document: dict[str, Any] = copy.deepcopy(SMALL)
    document["product_tree"]["full_product_names"][0]["product_identification_helper"] = {
        "cpe": "cpe:2.3:a:openssl:openssl:1.1.1:*:*:*:*:*:*:*"
    }
    advisory = parse_csaf(document, "acme.json")
    hit = ComponentQuery(
        name="openssl", version="1.1.1", cpe="cpe:2.3:a:openssl:openssl:1.1.1:*:*:*:*:*:*:*"
    )
    (finding,) = match_component(hit, [advisory])
    assert (finding.match, finding.verdict) == ("cpe", "affected")
    assert [p.product_id for p in finding.products] == ["P4"]  # P3 itself has no status
    other = ComponentQuery(name="openssl", version="3.0.0", cpe="cpe:/a:openssl:openssl:3.0.0")
    (finding,) = match_component(other, [advisory])
    assert finding.verdict == "not-affected"


def test_index_over_every_cisa_advisory() -> None:
    folder = vulndata("csaf/cisa-ot")
    advisories = [
        parse_csaf(load_json(path.read_bytes()), path.name)
        for path in sorted(folder.glob("*/*.json"))
    ]
    index = CsafIndex(advisories)
    cpu = ComponentQuery(
        name="SIMATIC ET 200pro IM154-8 PN/DP CPU",
        version="V3.2.10",
        supplier="Siemens",
        model_numbers=("6ES7154-8AB01-0AB0",),
    )
    findings = index.match(cpu)
    kinds = {(f.advisory, f.cve): (f.match, f.verdict) for f in findings}
    assert kinds[("ICSA-19-099-06", "CVE-2019-6568")] == ("model-number", "affected")
    assert all(match in ("model-number", "product-name") for match, _ in kinds.values())
    assert index.match(ComponentQuery(name="left-pad", version="1.3.0", supplier="npm")) == ()
