"""The northwind-controls delivery (fixtures/northwind-delivery, made by fixtures/vendor_native.py)
through the gate: a vendor with its own X.509 PKI and OpenPGP key, no Sigstore.

Each evidence kind admits into the segment its strength allows; each negative case of issue 6
is made from a copy of the delivery and denied with its specific reason in `evidence.problems`.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import struct
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from cryptography import x509

import provenance.commands.evaluate as evaluate_module
from fixtures import vendor_native as nw
from provenance.commands.evaluate import evaluate
from provenance.evidence.pe_file import parse_pe
from provenance.signing.keys import generate_key
from provenance.testing.openpgp import armor, derive_openpgp_key
from provenance.testing.vendor_pki import Issued, VendorPki, sign_cms_detached
from provenance.verification import evidence_set
from tests.conftest import CliResult, CliRunner

REPO = Path(__file__).parents[1]
FIXTURE = REPO / "fixtures/northwind-delivery"
SCHEMAS = REPO / "provenance/report/schemas"
DECISION_SCHEMA = json.loads((SCHEMAS / "decision-result.v1.schema.json").read_text())
ADMIT_SCHEMA = json.loads((SCHEMAS / "admit-result.v1.schema.json").read_text())
L1, EWS, L3, BENCH = (
    "level1-controllers",
    "engineering-workstations",
    "level3-operations",
    "test-bench",
)
FW, EXE, IOM = nw.FIRMWARE, nw.INSTALLER, nw.CHECKSUM_ONLY
NO_VENDOR_SIGNATURE = "expected a verified signature by a vendor of this policy, got none"
REVOCATION_CHECKED = "revocation crl:northwind-ca.crl not revoked"
TSA = "rfc3161:CN=Meridian Trust Services Timestamp Authority,O=Meridian Trust Services,C=DE"


@pytest.fixture(scope="module")
def pki() -> VendorPki:
    return nw.vendor_pki()


@pytest.fixture
def delivery(tmp_path: Path) -> Path:
    """A copy of the fixture delivery, to alter."""
    folder = tmp_path / "northwind"
    shutil.copytree(FIXTURE, folder)
    return folder


def verify(
    cli: CliRunner, folder: Path, artifact: str, segment: str, *extra: str
) -> tuple[CliResult, dict[str, Any]]:
    result = cli(
        "verify", folder / artifact, "--policy", folder / "policy.yaml", "--segment", segment,
        "--format", "json", *extra,
    )  # fmt: skip
    assert "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    jsonschema.validate(report, DECISION_SCHEMA)
    return result, report


def finding(report: dict[str, Any], rule: str) -> dict[str, Any]:
    found: dict[str, Any] = next(f for f in report["findings"] if f["rule"] == rule)
    return found


def signatures(report: dict[str, Any]) -> list[dict[str, Any]]:
    (baseline,) = [f for f in report["findings"] if f["rule"] == "vendor_signature"]
    found: list[dict[str, Any]] = baseline.get("evidence", {}).get("signatures", [])
    return found


def problems(report: dict[str, Any]) -> dict[str, str]:
    """Problem reasons by the file name of their source."""
    return {Path(p["source"]).name: p["reason"] for p in report["evidence"]["problems"]}


# -- the delivery as shipped ------------------------------------------------------------------


def test_firmware_enters_level1_on_its_timestamped_cms_signature(cli: CliRunner) -> None:
    result, report = verify(cli, FIXTURE, FW, L1)
    assert result.code == 0, result.stderr
    assert result.stderr == f"OK: {FIXTURE / FW}: allowed for {L1}\n"
    assert report["decision"] == "allow"
    assert report["evidence_strength"] == "signed-identity"
    assert [f["rule"] for f in report["findings"]] == ["vendor_signature", "signed_by", "evidence"]
    assert report["findings"][2]["reason"] == "signed-identity (at least signed-identity)"
    assert report["evidence"]["problems"] == []
    cms, by_openpgp, by_list_cms = signatures(report)
    assert cms["content"] == "cms"
    assert cms["bundle"] == f"{FIXTURE / FW}.p7s"
    assert cms["vendor"] == nw.VENDOR
    # The RFC 3161 time of the TSA the policy pins is the signing time; the CRL was checked.
    assert cms["signed_at"] == "2026-06-01T08:00:00+00:00"
    assert cms["signer"].endswith(
        f"(CN=Northwind Controls Code Signing,O=Northwind Controls,C=DE; {REVOCATION_CHECKED})"
    )
    # The SHA256SUMS listing it is signed both ways, and both verified.
    assert (by_openpgp["content"], by_openpgp["bundle"]) == (
        "checksum-list",
        str(FIXTURE / "SHA256SUMS.asc"),
    )
    assert by_openpgp["signer"] == nw.openpgp_key().fingerprint
    assert by_openpgp["signed_at"] is None  # an OpenPGP signer's own clock is not evidence
    assert (by_list_cms["content"], by_list_cms["bundle"]) == (
        "checksum-list",
        str(FIXTURE / "SHA256SUMS.p7s"),
    )


def test_installer_enters_workstations_on_its_authenticode_signature(cli: CliRunner) -> None:
    result, report = verify(cli, FIXTURE, EXE, EWS)
    assert result.code == 0, result.stderr
    assert result.stderr == f"OK: {FIXTURE / EXE}: allowed for {EWS}\n"
    assert report["evidence_strength"] == "signed-identity"
    embedded = signatures(report)[0]
    assert embedded["content"] == "authenticode"
    assert embedded["bundle"] == f"{FIXTURE / EXE} (Authenticode)"
    assert embedded["signed_at"] == "2026-06-01T08:00:00+00:00"
    assert REVOCATION_CHECKED in embedded["signer"]
    # The PE itself is the evidence; only the list signatures are files beside it.
    assert [Path(i["path"]).name for i in report["evidence"]["inputs"]] == [
        "SHA256SUMS.asc",
        "SHA256SUMS.p7s",
    ]


def test_a_file_only_in_sha256sums_is_a_signed_checksum_list(cli: CliRunner) -> None:
    allowed, report = verify(cli, FIXTURE, IOM, L3)
    assert allowed.code == 0, allowed.stderr
    assert report["evidence_strength"] == "signed-checksum-list"
    assert {s["content"] for s in signatures(report)} == {"checksum-list"}
    denied, report = verify(cli, FIXTURE, IOM, L1)
    assert denied.code == 1
    assert report["decision"] == "deny"
    assert denied.stderr == (
        f"FAIL: {FIXTURE / IOM}: denied for {L1}: evidence: expected signed-identity or "
        "stronger, got signed-checksum-list\n"
    )


@pytest.mark.parametrize("kept", ["SHA256SUMS.asc", "SHA256SUMS.p7s"])
def test_either_list_signature_alone_suffices(cli: CliRunner, delivery: Path, kept: str) -> None:
    # Why the list is signed twice: a site pinning only the OpenPGP key, or only the X.509
    # root, still verifies it.
    for name in {"SHA256SUMS.asc", "SHA256SUMS.p7s"} - {kept}:
        (delivery / name).unlink()
    result, report = verify(cli, delivery, IOM, L3)
    assert result.code == 0, result.stderr
    assert [s["bundle"] for s in signatures(report)] == [str(delivery / kept)]


REVOCATION_REQUIRED = (
    "revocation required: no answer for the signer certificate (no CRL of its issuer: "
    "'CN=Northwind Controls Code Signing CA,O=Northwind Controls,C=DE'); carry the issuer's CRL "
    "in (beside the delivery, `provenance crl import`, or `crls:` in the policy's x509 signer), "
    "or allow --online-revocation"
)


def test_without_the_crl_a_signed_identity_segment_denies_and_says_what_to_do(
    cli: CliRunner, delivery: Path
) -> None:
    """Issue 22: revocation is not optional for whoever prepares the delivery. Level 1's
    minimum is signed-identity, so an x509 signer without `revocation:` requires an answer."""
    (delivery / "northwind-ca.crl").unlink()
    result, report = verify(cli, delivery, FW, L1)
    assert result.code == 1
    source = delivery / f"{FW}.p7s"
    assert problems(report)[source.name] == f"{source}: {REVOCATION_REQUIRED}"
    assert f"(evidence that did not verify: {source}: {REVOCATION_REQUIRED}; and 1 more)" in (
        result.stderr
    )
    # Level 3 (minimum signed-checksum-list) defaults to best-effort: the OpenPGP-signed list
    # admits it, and the CMS signature verifies with revocation "not checked".
    allowed, report = verify(cli, delivery, FW, L3)
    assert allowed.code == 0, allowed.stderr
    cms = next(s for s in signatures(report) if s["content"] == "cms")
    assert cms["signer"].endswith("; revocation not checked)")


def test_best_effort_in_the_policy_allows_without_a_crl(cli: CliRunner, delivery: Path) -> None:
    (delivery / "northwind-ca.crl").unlink()
    policy = delivery / "policy.yaml"
    policy.write_text(
        policy.read_text().replace(
            "          eku: [codeSigning]\n",
            "          eku: [codeSigning]\n          revocation: best-effort\n",
        )
    )
    result, report = verify(cli, delivery, FW, L1)
    assert result.code == 0, result.stderr
    assert signatures(report)[0]["signer"].endswith("; revocation not checked)")


# -- published hash (--expected-sha256) ---------------------------------------------------


@pytest.fixture
def alone(tmp_path: Path) -> Path:
    """The I/O module firmware without the delivery's signed lists: no vendor evidence."""
    folder = tmp_path / "portal-download"
    folder.mkdir()
    shutil.copy(FIXTURE / IOM, folder / IOM)
    shutil.copy(FIXTURE / "policy.yaml", folder / "policy.yaml")
    for pinned in ("certs", "keys"):
        shutil.copytree(FIXTURE / pinned, folder / pinned)
    return folder


def test_published_hash_only_where_the_minimum_is_published_hash(
    cli: CliRunner, alone: Path
) -> None:
    digest = hashlib.sha256((alone / IOM).read_bytes()).hexdigest()
    allowed, report = verify(cli, alone, IOM, BENCH, "--expected-sha256", digest)
    assert allowed.code == 0, allowed.stderr
    assert report["evidence_strength"] == "published-hash"
    assert report["findings"][0]["reason"] == (
        "no vendor signature; the SHA-256 the operator copied from the vendor matches "
        "(published-hash, the weakest evidence, allowed by this segment)"
    )
    denied, report = verify(cli, alone, IOM, L3, "--expected-sha256", f"sha256:{digest}")
    assert denied.code == 1
    assert report["evidence_strength"] == "published-hash"
    assert denied.stderr == (
        f"FAIL: {alone / IOM}: denied for {L3}: vendor_signature: {NO_VENDOR_SIGNATURE}; "
        f"signed_by: expected signatures by {nw.VENDOR}, got none of them; evidence: expected "
        "signed-checksum-list or stronger, got published-hash\n"
    )


def test_a_wrong_published_hash_is_a_problem_and_no_evidence(cli: CliRunner, alone: Path) -> None:
    actual = hashlib.sha256((alone / IOM).read_bytes()).hexdigest()
    wrong = "ab" * 32
    result, report = verify(cli, alone, IOM, BENCH, "--expected-sha256", wrong)
    assert result.code == 1
    assert report["evidence_strength"] == "none"
    assert report["evidence"]["problems"] == [
        {
            "source": "--expected-sha256",
            "reason": f"{alone / IOM}: sha256 is {actual}, expected {wrong} (--expected-sha256)",
        }
    ]
    assert f"vendor_signature: {NO_VENDOR_SIGNATURE}" in result.stderr
    assert finding(report, "published_hash")["reason"] == (
        f"{alone / IOM}: sha256 is {actual}, expected {wrong} (--expected-sha256)"
    )


def test_a_wrong_published_hash_denies_even_a_signed_file(cli: CliRunner) -> None:
    """The operator's hash says which file they mean to install: a signed file that is not it
    is still the wrong file."""
    wrong = "cd" * 32
    result, report = verify(cli, FIXTURE, FW, L1, "--expected-sha256", wrong)
    assert result.code == 1
    assert report["evidence_strength"] == "signed-identity"
    assert finding(report, "vendor_signature")["passed"] is True
    assert finding(report, "published_hash")["passed"] is False
    assert "denied for level1-controllers: published_hash: " in result.stderr


# -- negative cases (issue 6), each from an altered copy of the delivery ----------------------


def _resign_firmware(signer: Callable[[VendorPki], Issued], *, other_pki: bool = False) -> Any:
    def alter(folder: Path, pki: VendorPki) -> None:
        owner = VendorPki.create(seed="a look-alike CA", organization=nw.ORGANIZATION)
        chosen = owner if other_pki else pki
        firmware = (folder / FW).read_bytes()
        (folder / f"{FW}.p7s").write_bytes(
            sign_cms_detached(firmware, signer(chosen), chosen.chain, timestamp=nw.timestamp())
        )

    return alter


def _revoked(folder: Path, pki: VendorPki) -> None:
    # A certificate with the vendor's own subject, which its CA revoked (key compromise).
    _resign_firmware(lambda p: nw.revoked_signer())(folder, pki)


def _changed(folder: Path, pki: VendorPki) -> None:
    (folder / FW).write_bytes((folder / FW).read_bytes() + b"\x00")


def _over_another_file(folder: Path, pki: VendorPki) -> None:
    other = (folder / IOM).read_bytes()
    (folder / f"{FW}.p7s").write_bytes(
        sign_cms_detached(other, pki.leaf, pki.chain, timestamp=nw.timestamp())
    )


def _truncated(folder: Path, pki: VendorPki) -> None:
    signature = folder / f"{FW}.p7s"
    signature.write_bytes(signature.read_bytes()[:-100])


def _no_signer_info(folder: Path, pki: VendorPki) -> None:
    firmware = (folder / FW).read_bytes()
    (folder / f"{FW}.p7s").write_bytes(
        sign_cms_detached(firmware, pki.leaf, pki.chain, no_signer_info=True)
    )


MISMATCH = "messageDigest does not match the artifact (sha256)"
DENIED_L1_LIST_ONLY = "evidence: expected signed-identity or stronger, got signed-checksum-list"


@pytest.mark.parametrize(
    ("alter", "reason", "strength"),
    [
        pytest.param(
            _resign_firmware(lambda p: p.leaf, other_pki=True),
            "certificate chain does not reach a pinned root "
            "(issuer 'CN=Northwind Controls Root CA,O=Northwind Controls,C=DE')",
            "signed-checksum-list",
            id="wrong-root-same-names",
        ),
        pytest.param(
            _resign_firmware(lambda p: p.expired_leaf),
            "signer certificate expired at 2025-01-01T00:00:00Z, before the signing time "
            f"2026-06-01T08:00:00Z ({TSA})",
            "signed-checksum-list",
            id="expired-at-signing-time",
        ),
        pytest.param(
            _revoked,
            "signer certificate revoked on 2026-05-01T00:00:00Z (keyCompromise; "
            "CRL northwind-ca.crl)",
            "signed-checksum-list",
            id="revoked",
        ),
        pytest.param(
            _resign_firmware(lambda p: p.no_eku_leaf),
            "EKU codeSigning missing from the signer certificate (got clientAuth)",
            "signed-checksum-list",
            id="eku-missing",
        ),
        pytest.param(_changed, MISMATCH, "none", id="digest-mismatch-file-changed"),
        pytest.param(
            _over_another_file, MISMATCH, "signed-checksum-list", id="signature-over-another-file"
        ),
        pytest.param(
            _no_signer_info,
            "CMS signature: CMS has no SignerInfo",
            "signed-checksum-list",
            id="cms-without-signer-info",
        ),
    ],
)
def test_firmware_signature_refused(
    cli: CliRunner,
    delivery: Path,
    pki: VendorPki,
    *,
    alter: Callable[[Path, VendorPki], None],
    reason: str,
    strength: str,
) -> None:
    alter(delivery, pki)
    result, report = verify(cli, delivery, FW, L1)
    assert result.code == 1
    assert report["decision"] == "deny"
    assert report["evidence_strength"] == strength
    source = delivery / f"{FW}.p7s"
    assert problems(report)[source.name] == f"{source}: {reason}"
    assert result.stderr.startswith(f"FAIL: {delivery / FW}: denied for {L1}: ")
    assert f"(evidence that did not verify: {source}: {reason}" in result.stderr
    if strength == "none":
        assert f"vendor_signature: {NO_VENDOR_SIGNATURE}" in result.stderr
    else:
        assert DENIED_L1_LIST_ONLY in result.stderr


def test_changed_firmware_also_fails_the_checksum_lists(cli: CliRunner, delivery: Path) -> None:
    listed = hashlib.sha256((delivery / FW).read_bytes()).hexdigest()
    _changed(delivery, nw.vendor_pki())
    actual = hashlib.sha256((delivery / FW).read_bytes()).hexdigest()
    _, report = verify(cli, delivery, FW, L3)
    assert report["decision"] == "deny"
    expected = (
        f"{delivery / 'SHA256SUMS'} lists {FW} with sha256 {listed}, the artifact's is {actual}"
    )
    assert problems(report)["SHA256SUMS.asc"] == expected
    assert problems(report)["SHA256SUMS.p7s"] == expected


def test_truncated_der(cli: CliRunner, delivery: Path, pki: VendorPki) -> None:
    _truncated(delivery, pki)
    result, report = verify(cli, delivery, FW, L1)
    assert result.code == 1
    source = delivery / f"{FW}.p7s"
    size = source.stat().st_size
    assert problems(report)[source.name] == (
        f"{source}: CMS signature: truncated or malformed DER (truncated: the DER value declares "
        f"{size + 100} bytes, {size} are present)"
    )
    assert DENIED_L1_LIST_ONLY in result.stderr


def test_file_name_missing_from_the_checksum_list(cli: CliRunner, delivery: Path) -> None:
    renamed = "io-module-firmware-2.5.0.bin"
    (delivery / IOM).rename(delivery / renamed)
    result, report = verify(cli, delivery, renamed, L3)
    assert result.code == 1
    reason = f"{renamed} is not listed in {delivery / 'SHA256SUMS'}"
    assert problems(report) == {"SHA256SUMS.asc": reason, "SHA256SUMS.p7s": reason}
    assert report["evidence_strength"] == "none"
    assert f"vendor_signature: {NO_VENDOR_SIGNATURE}" in result.stderr


def test_checksum_list_signed_by_an_unpinned_key(cli: CliRunner, delivery: Path) -> None:
    mallory = derive_openpgp_key(
        "somebody else", "key", user_id="Northwind Controls Release Signing", created=nw.KEY_CREATED
    )
    listing = (delivery / "SHA256SUMS").read_bytes()
    (delivery / "SHA256SUMS.asc").write_bytes(armor(mallory.sign(listing, signed_at=nw.SIGNED_AT)))
    (delivery / "SHA256SUMS.p7s").unlink()
    result, report = verify(cli, delivery, IOM, L3)
    assert result.code == 1
    source = delivery / "SHA256SUMS.asc"
    assert problems(report) == {
        source.name: f"{source}: signed by key 0x{mallory.fingerprint} which is not pinned "
        f"(pinned: 0x{nw.openpgp_key().fingerprint})"
    }
    assert f"vendor_signature: {NO_VENDOR_SIGNATURE}" in result.stderr


def test_pe_whose_signature_was_stripped_has_no_evidence(
    cli: CliRunner, alone: Path, tmp_path: Path
) -> None:
    signed = (FIXTURE / EXE).read_bytes()
    layout = parse_pe(signed)
    assert layout.certificate_table is not None
    offset, _ = layout.certificate_table
    stripped = bytearray(signed[:offset])
    struct.pack_into("<II", stripped, layout.certificate_directory_offset, 0, 0)
    (alone / EXE).write_bytes(bytes(stripped))
    result, report = verify(cli, alone, EXE, EWS)
    assert result.code == 1
    # Issue 22: the report says why there is no evidence, not only "got none".
    source = f"{alone / EXE} (Authenticode)"
    unsigned = (
        f"{source}: this file carries no Authenticode signature (no certificate table: never "
        "signed, or the signature was stripped)"
    )
    assert report["evidence"] == {
        "inputs": [],
        "problems": [{"source": source, "reason": unsigned}],
        "attestations": [],
        "layouts": [],
    }
    assert report["evidence_strength"] == "none"
    # One finding that says so, not a failure for every requirement.
    assert [f["rule"] for f in report["findings"]] == ["no_evidence"]
    assert result.stderr == (
        f"FAIL: {alone / EXE}: denied for {EWS}: no_evidence: no evidence found (looked for: "
        f"{EXE}.sigstore[.json], {EXE}.*.sigstore.json, {EXE}.intoto.json[l], {EXE}.dsse.json, "
        f"{EXE}.asc/.sig/.p7s, {EXE}.layout, SBOM and VEX files, a signed "
        f"SHA256SUMS/SHA384SUMS/SHA512SUMS, {EXE}.approval*.json, Authenticode inside a PE "
        f"file); {source}: {unsigned}\n"
    )


def test_pe_with_bytes_appended_after_the_signature(cli: CliRunner, delivery: Path) -> None:
    signed = (delivery / EXE).read_bytes()
    (delivery / EXE).write_bytes(signed + b"MALWARE!" * 2)
    result, report = verify(cli, delivery, EXE, EWS)
    assert result.code == 1
    source = f"{delivery / EXE} (Authenticode)"
    assert report["evidence"]["problems"][0] == {
        "source": source,
        "reason": f"{source}: PE file: 16 bytes appended after the certificate table (table ends "
        f"at {len(signed)}, file at {len(signed) + 16}); they would not be covered by the "
        "signature",
    }
    assert f"vendor_signature: {NO_VENDOR_SIGNATURE}" in result.stderr


# -- admission: the staged copy is verified under the delivered name -------------------------


@pytest.mark.parametrize(
    ("artifact", "segment", "strength", "content"),
    [
        (FW, L1, "signed-identity", "cms"),
        (EXE, EWS, "signed-identity", "authenticode"),
        (IOM, L3, "signed-checksum-list", "checksum-list"),
    ],
)
def test_admit_records_the_evidence_strength(
    cli: CliRunner, tmp_path: Path, *, artifact: str, segment: str, strength: str, content: str
) -> None:
    # Regression: admit verifies a staged copy (`stage-....part`); names in signatures and
    # checksum lists, and the CRLs beside the artifact, are the delivered file's.
    state = tmp_path / "state"
    state.mkdir()
    generate_key(state / "site.key", "ed25519")
    result = cli(
        "admit", FIXTURE / artifact, "--policy", FIXTURE / "policy.yaml", "--segment", segment,
        "--state-dir", state, "--format", "json",
    )  # fmt: skip
    assert result.code == 0, result.stderr
    assert result.stderr == f"OK: {FIXTURE / artifact}: admitted to {segment}\n"
    report = json.loads(result.stdout)
    jsonschema.validate(report, ADMIT_SCHEMA)
    assert report["evidence_strength"] == strength
    assert report["evidence"]["problems"] == []
    first = signatures(report)[0]
    assert first["content"] == content
    if content != "checksum-list":
        assert REVOCATION_CHECKED in first["signer"]
    exported = cli("audit", "export", "--state-dir", state, "--format", "json")
    assert exported.code == 0, exported.stderr
    (record,) = json.loads(exported.stdout)["records"]
    assert record["event"]["kind"] == "admit"
    assert record["event"]["details"]["evidence_strength"] == strength
    assert record["event"]["details"]["problems"] == []


# -- the library, with the clock injected: how long the fixture stays valid ------------------


def test_valid_until_the_crl_expires_although_the_leaf_expires_in_2029() -> None:
    late = datetime(2035, 12, 31, tzinfo=UTC)
    evaluation = evaluate(
        str(FIXTURE / FW), policy_path=FIXTURE / "policy.yaml", segment=L1, clock=lambda: late
    )
    assert evaluation.allowed, evaluation.decision.reason
    assert evaluation.examination.evidence_strength == "signed-identity"
    fact = evaluation.examination.assessment.signatures[0]
    assert fact.signed_at == nw.SIGNED_AT  # the timestamp, not "now", validates the leaf

    after = datetime(2036, 1, 2, tzinfo=UTC)
    stale = evaluate(
        str(FIXTURE / FW), policy_path=FIXTURE / "policy.yaml", segment=L1, clock=lambda: after
    )
    assert not stale.allowed
    reasons = {p.source: p.reason for p in stale.examination.assessment.problems}
    assert reasons[str(FIXTURE / f"{FW}.p7s")] == (
        f"{FIXTURE / FW}.p7s: CRL northwind-ca.crl is stale: its nextUpdate 2036-01-01T00:00:00Z "
        "is before now 2036-01-02T00:00:00Z; fetch a current CRL from the vendor"
    )


def test_pinned_certificates_span_2026_to_2036() -> None:
    for name in (nw.ROOT_PEM, nw.CA_PEM, nw.TSA_ROOT_PEM):
        certificate = x509.load_pem_x509_certificate((FIXTURE / name).read_bytes())
        assert certificate.not_valid_before_utc < datetime(2026, 1, 1, tzinfo=UTC), name
        assert certificate.not_valid_after_utc >= datetime(2036, 1, 1, tzinfo=UTC), name


def test_online_revocation_is_an_explicit_flag(cli: CliRunner) -> None:
    # The CRL beside the firmware decides, so no OCSP request is made (the suite has no
    # network): the flag only allows asking when no CRL does.
    result, report = verify(cli, FIXTURE, FW, L1, "--online-revocation")
    assert result.code == 0, result.stderr
    assert report["decision"] == "allow"
    usage = cli("verify", FIXTURE / FW, "--online-revocation")
    assert usage.code == 2
    assert usage.stderr == (
        "error: --online-revocation: only with --segment (a decision under a policy)\n"
    )


# -- attribution: whose evidence counts for whom (review findings) ---------------------------

_X509 = """      - x509:
          roots: [certs/northwind-root-ca.pem]
          intermediates: [certs/northwind-code-signing-ca.pem]
          subject: {{O: "Northwind Controls"}}
          eku: [{eku}]
          tsa_roots: [certs/meridian-tsa-root.pem]
"""


def test_a_signature_counts_only_for_the_vendor_whose_rule_verified_it(
    cli: CliRunner, delivery: Path
) -> None:
    """Two vendors pin the same root; only vendor-b's rule (codeSigning) accepts the firmware's
    signer: vendor-a (timeStamping) must not be credited with it."""
    (delivery / "policy.yaml").write_text(
        "version: 1\nvendors:\n"
        "  vendor-a:\n    signers:\n" + _X509.format(eku="timeStamping")
        + "    products: [pkg:generic/vendor-a/x]\n"
        "  vendor-b:\n    signers:\n" + _X509.format(eku="codeSigning")
        + "    products: [pkg:generic/vendor-b/y]\n"
        "segments:\n  s:\n    require:\n      signed_by: [vendor-a]\n"
    )  # fmt: skip
    result, report = verify(cli, delivery, FW, "s")
    assert result.code == 1
    assert finding(report, "signed_by")["reason"] == (
        "expected signatures by vendor-a, got none of them"
    )
    assert {s["vendor"] for s in signatures(report)} == {"vendor-b"}


def test_the_evidence_minimum_counts_the_required_vendors_only(
    cli: CliRunner, delivery: Path
) -> None:
    """northwind only lists the file in its OpenPGP-signed SHA256SUMS; an integrator's CMS
    signature over the file must not make northwind's evidence signed-identity."""
    (delivery / "policy.yaml").write_text(
        "version: 1\nvendors:\n"
        "  northwind-controls:\n    signers:\n      - openpgp: keys/northwind-release.asc\n"
        "    products: [pkg:generic/northwind-controls/rtu-firmware]\n"
        "  integrator:\n    signers:\n" + _X509.format(eku="codeSigning")
        + "    products: [pkg:generic/integrator/other]\n"
        "segments:\n  l1:\n    require:\n      signed_by: [northwind-controls]\n"
        "      evidence: {minimum: signed-identity}\n"
    )  # fmt: skip
    result, report = verify(cli, delivery, FW, "l1")
    assert result.code == 1
    assert report["evidence_strength"] == "signed-identity"  # by someone in the policy
    assert finding(report, "evidence")["reason"] == (
        "expected signed-identity or stronger, got signed-checksum-list"
    )


def test_a_file_swapped_during_verification_is_judged_by_the_bytes_first_read(
    delivery: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The delivered file holds other bytes when it is read, and the signed firmware is put
    back before the evidence is checked: every check reads the private copy, so the
    signature (over the firmware) does not vouch for the bytes decided about."""
    signed = (delivery / FW).read_bytes()
    (delivery / FW).write_bytes(b"EVIL FIRMWARE " * 1000)
    real_discover = evidence_set.discover_evidence

    def swap_then_discover(path: Path) -> list[Path]:
        (delivery / FW).write_bytes(signed)  # the attacker restores the signed bytes
        return real_discover(path)

    monkeypatch.setattr(evaluate_module, "discover_evidence", swap_then_discover)
    result = evaluate_module.evaluate(
        str(delivery / FW), policy_path=delivery / "policy.yaml", segment=L1
    )
    assert not result.allowed
    assert result.sha256 == hashlib.sha256(b"EVIL FIRMWARE " * 1000).hexdigest()
    assert any(
        "messageDigest does not match the artifact" in problem.reason
        for problem in result.examination.assessment.problems
    )
