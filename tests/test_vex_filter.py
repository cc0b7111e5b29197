"""VEX applied to findings: what is suppressed, by which statement, and what never is."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from provenance.evidence.sbom.vex import VexStatement
from provenance.facts import SbomBinding
from provenance.vulnerabilities.vex_filter import VexOutcome, apply_vex, exposure_claims

ARTIFACT = "pkg:generic/acme/plc-firmware@4.2.1"
SIGNED = "vendor.vex.json"
UNSIGNED = "unsigned.vex.json"
SBOM = "plc.cdx.json"
BINDINGS: dict[str, SbomBinding] = {
    SIGNED: "signed-attestation",
    UNSIGNED: None,
    SBOM: "signed-file",
}


@dataclass(frozen=True)
class Finding:
    vulnerability_id: str
    aliases: tuple[str, ...] = ()
    purl: str | None = "pkg:pypi/urllib3@1.26.4"
    bom_ref: str | None = "urllib3"


def statement(**changes: Any) -> VexStatement:
    base = VexStatement(
        vulnerability="CVE-2021-33503",
        aliases=(),
        products=("pkg:pypi/urllib3@1.26.4",),
        subcomponents=(),
        status="not_affected",
        justification="vulnerable_code_not_in_execute_path",
        impact_statement=None,
        source=SIGNED,
        index=0,
        format="OpenVEX",
    )
    return replace(base, **changes)


def run(
    findings: list[Finding],
    statements: list[VexStatement],
    *,
    min_binding: SbomBinding = "signed-file",
    artifact_ids: tuple[str, ...] = (ARTIFACT,),
    sbom_source: str | None = None,
    about_artifact: tuple[str, ...] = (SIGNED, UNSIGNED),
) -> VexOutcome[Finding]:
    return apply_vex(
        findings,
        statements,
        BINDINGS,
        min_binding=min_binding,
        artifact_ids=artifact_ids,
        about_artifact=about_artifact,
        sbom_source=sbom_source,
    )


def test_not_affected_with_justification_suppresses_and_says_which() -> None:
    finding = Finding("CVE-2021-33503")
    outcome = run([finding], [statement()])
    assert outcome.kept == ()
    (suppression,) = outcome.suppressed
    assert suppression.finding is finding
    assert suppression.statement.where == "vendor.vex.json statements[0]"
    assert suppression.binding == "signed-attestation"
    assert suppression.reason == (
        "not_affected (vulnerable_code_not_in_execute_path) per vendor.vex.json statements[0], "
        "bound: signed-attestation"
    )


def test_matches_by_alias_either_side() -> None:
    by_alias = Finding("PYSEC-2021-108", aliases=("CVE-2021-33503",))
    stated_alias = statement(vulnerability="GHSA-q2q7-5pp4-w6pg", aliases=("pysec-2021-108",))
    assert len(run([by_alias], [statement()]).suppressed) == 1
    assert len(run([by_alias], [stated_alias]).suppressed) == 1


def test_fixed_suppresses_and_impact_statement_is_a_reason() -> None:
    fixed = statement(status="fixed", justification=None)
    impact = statement(justification=None, impact_statement="the proxy code is never loaded")
    assert run([Finding("CVE-2021-33503")], [fixed]).suppressed[0].reason == (
        "fixed (fixed) per vendor.vex.json statements[0], bound: signed-attestation"
    )
    assert len(run([Finding("CVE-2021-33503")], [impact]).suppressed) == 1


def test_not_affected_without_a_reason_does_not_count() -> None:
    bare = statement(justification=None)
    outcome = run([Finding("CVE-2021-33503")], [bare])
    assert len(outcome.kept) == 1
    assert [u.reason for u in outcome.unused] == [
        "vendor.vex.json statements[0]: expected a justification or impact statement for "
        "not_affected, got neither"
    ]


def test_affected_or_under_investigation_is_never_outvoted() -> None:
    for status in ("affected", "under_investigation"):
        # Even an unsigned statement of exposure keeps the finding.
        exposure = statement(status=status, justification=None, source=UNSIGNED, index=3)
        outcome = run([Finding("CVE-2021-33503")], [statement(), exposure])
        assert len(outcome.kept) == 1, status
        assert outcome.suppressed == ()


def test_weakly_bound_statement_is_unused_with_the_reason() -> None:
    unsigned = statement(source=UNSIGNED)
    outcome = run([Finding("CVE-2021-33503")], [unsigned])
    assert len(outcome.kept) == 1
    assert [u.reason for u in outcome.unused] == [
        "unsigned.vex.json statements[0]: expected VEX bound at least signed-file, got unbound"
    ]
    # Policy may accept unsigned VEX explicitly.
    assert len(run([Finding("CVE-2021-33503")], [unsigned], min_binding=None).suppressed) == 1
    # Or demand an attestation about this very artifact.
    in_sbom = statement(source=SBOM)
    strict = run([Finding("CVE-2021-33503")], [in_sbom], min_binding="signed-attestation")
    assert [u.reason for u in strict.unused] == [
        "plc.cdx.json statements[0]: expected VEX bound at least signed-attestation, got "
        "signed-file"
    ]


def test_statement_about_another_component_or_version_does_not_apply() -> None:
    other_package = statement(products=("pkg:pypi/requests@2.25.0",))
    other_version = statement(products=("pkg:pypi/urllib3@1.26.5",))
    other_vulnerability = statement(vulnerability="CVE-2023-43804")
    for unrelated in (other_package, other_version, other_vulnerability):
        outcome = run([Finding("CVE-2021-33503")], [unrelated])
        assert len(outcome.kept) == 1
        assert outcome.unused == ()
    # No version in the statement's purl: every version; qualifiers and case per purl rules.
    every_version = statement(products=("pkg:pypi/URLLIB3",))
    assert len(run([Finding("CVE-2021-33503")], [every_version]).suppressed) == 1


def test_subcomponents_apply_only_inside_this_artifact() -> None:
    inside = statement(products=(ARTIFACT,), subcomponents=("pkg:pypi/urllib3@1.26.4",))
    assert len(run([Finding("CVE-2021-33503")], [inside]).suppressed) == 1
    another_product = replace(inside, products=("pkg:generic/acme/hmi@1.0",))
    outcome = run([Finding("CVE-2021-33503")], [another_product])
    assert len(outcome.kept) == 1
    assert outcome.suppressed == ()
    # Without artifact ids nothing says the statement is about this artifact.
    assert len(run([Finding("CVE-2021-33503")], [inside], artifact_ids=()).kept) == 1


def test_bom_ref_counts_only_inside_the_sbom_document() -> None:
    by_ref = statement(products=("urllib3",), source=SBOM)
    no_purl = Finding("CVE-2021-33503", purl=None)
    assert len(run([no_purl], [by_ref], sbom_source=SBOM).suppressed) == 1
    # A separate VEX file's bom-ref may name anything: not matched.
    elsewhere = replace(by_ref, source=SIGNED)
    assert len(run([no_purl], [elsewhere], sbom_source=SBOM).kept) == 1
    assert len(run([no_purl], [by_ref]).kept) == 1


def test_several_findings_keep_their_order() -> None:
    findings = [Finding("CVE-2021-33503"), Finding("CVE-2023-43804"), Finding("CVE-2020-26137")]
    outcome = run(findings, [statement()])
    assert [f.vulnerability_id for f in outcome.kept] == ["CVE-2023-43804", "CVE-2020-26137"]
    assert [s.finding.vulnerability_id for s in outcome.suppressed] == ["CVE-2021-33503"]


# -- claims of exposure (the scan ties them to CSAF advisories by CVE) ---------------------

COMPONENTS = [
    ("pkg:pypi/urllib3@1.26.4", "urllib3"),
    ("pkg:pypi/urllib3@2.0.0", "urllib3-2"),
    ("pkg:pypi/requests@2.31.0", "requests"),
    (None, "fw"),
]


def test_exposure_claims_name_the_components_as_suppression_would() -> None:
    affected = statement(status="affected", justification=None, aliases=("GHSA-q2q7",))
    assert exposure_claims([affected], COMPONENTS) == {0: ("CVE-2021-33503",)}
    every_version = replace(affected, products=("pkg:pypi/URLLIB3",), status="under_investigation")
    assert exposure_claims([every_version], COMPONENTS) == {
        0: ("CVE-2021-33503",),
        1: ("CVE-2021-33503",),
    }
    # Statements that set findings aside claim nothing.
    assert exposure_claims([statement(), replace(affected, status="fixed")], COMPONENTS) == {}
    # A bom-ref only inside the SBOM document; subcomponents only inside this artifact.
    by_ref = replace(affected, products=("fw",), source=SBOM)
    assert exposure_claims([by_ref], COMPONENTS, sbom_source=SBOM) == {3: ("CVE-2021-33503",)}
    assert exposure_claims([replace(by_ref, source=SIGNED)], COMPONENTS, sbom_source=SBOM) == {}
    inside = replace(affected, products=(ARTIFACT,), subcomponents=("pkg:pypi/requests",))
    assert exposure_claims([inside], COMPONENTS, artifact_ids=(ARTIFACT,)) == {
        2: ("CVE-2021-33503",)
    }
    assert exposure_claims([inside], COMPONENTS) == {}
    # Only CVE ids are claims the advisories can be looked up by.
    assert exposure_claims([replace(affected, vulnerability="GHSA-q2q7")], COMPONENTS) == {}


def test_component_only_statements_count_only_where_their_document_is_about_the_artifact() -> None:
    # A VEX file written for another product, renamed beside this one: its component-only
    # statement says nothing about this artifact.
    outcome = run([Finding("CVE-2021-33503")], [statement()], about_artifact=())
    assert outcome.suppressed == ()
    assert [u.reason for u in outcome.unused] == [
        "vendor.vex.json statements[0]: names only components, and its document is not about "
        "this artifact (it names no product of it and is no attestation about its digest by "
        "its vendor)"
    ]
    # With subcomponents, the statement names its product: matched against the artifact.
    inside = statement(products=(ARTIFACT,), subcomponents=("pkg:pypi/urllib3@1.26.4",))
    assert len(run([Finding("CVE-2021-33503")], [inside], about_artifact=()).suppressed) == 1
    other = replace(inside, products=("pkg:generic/acme/hmi-setup@2.0",))
    assert run([Finding("CVE-2021-33503")], [other], about_artifact=()).suppressed == ()
    # The SBOM's own statements are about the artifact the SBOM describes.
    own = statement(source=SBOM)
    outcome = run([Finding("CVE-2021-33503")], [own], sbom_source=SBOM, about_artifact=())
    assert len(outcome.suppressed) == 1
