"""Layouts and links as in-toto-golang writes them: its own test data (`upstream/`) and a
chain generated here in its exact shape (`generated/`, with a certified functionary), through
the library and `provenance verify --segment`. See tests/data/in_toto_golang/README.md."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from provenance.errors import EvidenceError
from provenance.evidence.in_toto import IN_TOTO_PAYLOAD_TYPE
from provenance.evidence.in_toto_metadata import parse_layout, parse_metadata
from provenance.testing.in_toto import derive_signer
from provenance.testing.in_toto_golang import (
    FunctionaryPki,
    GolangSigner,
    golang_dump,
    golang_metablock,
)
from provenance.verification.dsse import pae
from provenance.verification.in_toto_keys import load_layout_key
from provenance.verification.in_toto_layout import LayoutResult, verify_layout
from tests.conftest import CliRunner, corpus
from tests.data.in_toto_golang import generate

DATA = Path(__file__).parent / "data" / "in_toto_golang"
GENERATED = DATA / "generated"
UPSTREAM = DATA / "upstream"
NOW = datetime(2026, 6, 1, tzinfo=UTC)
DEMO_PRODUCT_SHA256 = "52947cb78b91ad01fe81cd6aef42d1f6817e92b9e6936c1e5aabb7c98514f355"
CODER_LINK = f"write-code.{generate.CODER.keyid[:8]}.link"
PACKAGE_LINK = f"package.{generate.PACKAGER.keyid[:8]}.link"


def verify(
    layout: Path,
    *,
    key: Path,
    links: Path | None = None,
    artifact_sha256: str | None = None,
    now: datetime = NOW,
) -> LayoutResult:
    folder = links or layout.parent
    digest = artifact_sha256 or hashlib.sha256((folder / "foo.tar.gz").read_bytes()).hexdigest()
    return verify_layout(
        layout,
        layout_keys=[load_layout_key(key)],
        link_dir=folder,
        artifact_sha256=bytes.fromhex(digest),
        now=now,
    )


def reason(result: LayoutResult) -> str:
    assert result.failure is not None, "expected a failure"
    return result.failure.reason


@pytest.fixture
def chain(tmp_path: Path) -> Path:
    """A writable copy of the generated chain."""
    folder = tmp_path / "chain"
    shutil.copytree(GENERATED, folder)
    return folder


def verify_chain(folder: Path, **kwargs: Any) -> LayoutResult:
    return verify(folder / "root.layout", key=folder / "owner.pub", **kwargs)


def edit(path: Path, change: Any) -> None:
    document = json.loads(path.read_text())
    change(document)
    path.write_bytes(golang_dump(document))


def resign_layout(folder: Path, change: Any) -> None:
    """The layout changed and signed again by its owner."""
    signed = generate.layout()
    change(signed)
    (folder / "root.layout").write_bytes(golang_dump(golang_metablock(signed, [generate.OWNER])))


def write_link(folder: Path, name: str, signed: dict[str, Any], signer: GolangSigner) -> None:
    (folder / name).write_bytes(golang_dump(golang_metablock(signed, [signer])))


# -- the generated data: reproducible, and it verifies ---------------------------------------


def test_regenerating_gives_the_committed_data(tmp_path: Path) -> None:
    script = DATA / "generate.py"
    subprocess.run([sys.executable, script, "--out", tmp_path], check=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in GENERATED.iterdir())
    for path in tmp_path.iterdir():
        assert path.read_bytes() == (GENERATED / path.name).read_bytes(), path.name
    check = subprocess.run(
        [sys.executable, script, "--check"], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stderr


def test_the_shape_is_in_toto_golangs() -> None:
    layout = json.loads((GENERATED / "root.layout").read_text())
    assert list(layout) == ["signed", "signatures"]
    assert list(layout["signed"]) == [
        "_type", "steps", "inspect", "keys", "rootcas", "intermediatecas", "expires", "readme",
    ]  # fmt: skip
    assert layout["signatures"][0]["cert"] == ""
    [coder] = layout["signed"]["keys"].values()
    assert coder["keyid_hash_algorithms"] == ["sha256", "sha512"]
    assert coder["keyval"] == {"private": "", "public": coder["keyval"]["public"]}
    assert list(layout["signed"]["steps"][1])[:3] == ["_type", "pubkeys", "cert_constraints"]
    [root] = layout["signed"]["rootcas"].values()
    assert root["keyval"]["certificate"].startswith("-----BEGIN CERTIFICATE-----\n")
    package = json.loads((GENERATED / PACKAGE_LINK).read_text())
    assert package["signatures"][0]["cert"].startswith("-----BEGIN CERTIFICATE-----\n")
    assert not (GENERATED / PACKAGE_LINK).read_bytes().endswith(b"\n")


def test_the_generated_chain_passes_with_its_certified_functionary() -> None:
    result = verify(GENERATED / "root.layout", key=GENERATED / "owner.pub")
    assert result.passed, result.failure
    assert [(step.name, step.functionaries, step.links) for step in result.steps] == [
        ("write-code", (generate.CODER.keyid,), (CODER_LINK,)),
        ("package", (generate.PACKAGER.keyid,), (PACKAGE_LINK,)),
    ]
    assert result.artifact_products == ("foo.tar.gz",)
    assert result.inspections_skipped == ("untar",)


def test_a_signature_without_cert_as_newer_in_toto_golang_writes_it_passes(chain: Path) -> None:
    edit(chain / CODER_LINK, lambda d: d["signatures"][0].pop("cert"))
    assert verify_chain(chain).passed


def test_the_inspection_runs_when_asked(chain: Path) -> None:
    result = verify_layout(
        chain / "root.layout",
        layout_keys=[load_layout_key(chain / "owner.pub")],
        link_dir=chain,
        artifact_sha256=hashlib.sha256((chain / "foo.tar.gz").read_bytes()).digest(),
        now=NOW,
        run_inspections=True,
        inspection_dir=chain,
    )
    assert result.passed, result.failure
    assert result.inspections_run == ("untar",)


# -- the four acceptance failures, each for its own reason -----------------------------------


def test_an_expired_layout_fails_for_its_expiry(chain: Path) -> None:
    resign_layout(chain, lambda s: s.update(expires="2026-01-01T00:00:00Z"))
    result = verify_chain(chain)
    assert result.failure is not None
    assert result.failure.stage == "expiry"
    assert reason(result) == (
        "layout expired at 2026-01-01T00:00:00Z, expected a layout valid at 2026-06-01T00:00:00Z"
    )


def test_a_tampered_expiry_fails_the_layout_signature(chain: Path) -> None:
    edit(chain / "root.layout", lambda d: d["signed"].update(expires="2099-01-01T00:00:00Z"))
    result = verify_chain(chain)
    assert result.failure is not None
    assert result.failure.stage == "layout-signature"
    assert reason(result).startswith("layout signed by 0 of threshold 1 layout keys")


@pytest.mark.parametrize("link", [CODER_LINK, PACKAGE_LINK])
def test_a_tampered_link_fails_its_step(chain: Path, link: str) -> None:
    edit(
        chain / link,
        lambda d: d["signed"]["products"].update({"backdoor.py": {"sha256": "0" * 64}}),
    )
    result = verify_chain(chain)
    assert result.failure is not None
    assert result.failure.stage == "link-signature"
    step = link.split(".", maxsplit=1)[0]
    expected = (
        f"step {step!r}: 0 of threshold 1 links signed by an authorized functionary ({link}: "
    )
    assert reason(result).startswith(expected + "no valid signature by an authorized functionary")
    if link == PACKAGE_LINK:  # the certificate checks out; the signature does not
        assert reason(result).endswith(
            "(certificate 'O=example,OU=example,CN=package.example.com': no signature of the "
            "link verifies under its key))"
        )


def test_a_replaced_artifact_is_not_the_final_product(chain: Path) -> None:
    result = verify_chain(chain, artifact_sha256=hashlib.sha256(b"replaced").hexdigest())
    assert result.failure is not None
    assert result.failure.stage == "artifact-binding"
    product = hashlib.sha256((chain / "foo.tar.gz").read_bytes()).hexdigest()
    assert reason(result) == (
        f"artifact sha256:{hashlib.sha256(b'replaced').hexdigest()} is not a product of the "
        f"final step 'package', expected one of its products: foo.tar.gz (sha256:{product})"
    )


def test_a_layout_checked_with_the_wrong_key_fails_its_signature(chain: Path) -> None:
    other = derive_signer("someone else", "owner", kind="p256")
    (chain / "other.pub").write_bytes(GolangSigner(other).public_pem)
    result = verify(chain / "root.layout", key=chain / "other.pub")
    assert result.failure is not None
    assert result.failure.stage == "layout-signature"
    assert reason(result).startswith("layout signed by 0 of threshold 1 layout keys (trusted: ")
    assert reason(result).endswith("; 1 signatures present)")


# -- an attacker with genuine certificates ---------------------------------------------------


def package_link_by(folder: Path, signer: GolangSigner) -> str:
    """Replace the package link with the same content signed by `signer`."""
    (folder / PACKAGE_LINK).unlink()
    name = f"package.{signer.keyid[:8]}.link"
    write_link(folder, name, generate.package_link(), signer)
    return name


def link_reason(result: LayoutResult) -> str:
    assert result.failure is not None
    assert result.failure.stage == "link-signature", result.failure
    return reason(result)


def test_a_certificate_from_another_ca_with_the_right_names_does_not_count(chain: Path) -> None:
    impostor = FunctionaryPki.create("another trust domain").functionary("package")
    name = package_link_by(chain, impostor)
    assert link_reason(verify_chain(chain)) == (
        f"step 'package': 0 of threshold 1 links signed by an authorized functionary ({name}: no "
        "valid signature by an authorized functionary (certificate "
        "'O=example,OU=example,CN=package.example.com': certificate chain does not reach a "
        "pinned root (issuer 'O=example,OU=example,CN=example.com') (the layout's rootcas: "
        "'O=example,OU=example,CN=root.example.com')))"
    )


def test_a_certificate_for_another_functionary_does_not_count(chain: Path) -> None:
    coder_cert = generate.PKI.functionary("write-code")
    name = package_link_by(chain, coder_cert)
    assert link_reason(verify_chain(chain)).endswith(
        f"({name}: no valid signature by an authorized functionary (certificate "
        "'O=example,OU=example,CN=write-code.example.com': does not meet step 'package''s "
        "cert_constraints: common name ['write-code.example.com'], expected "
        "['package.example.com']; URIs ['spiffe://example.com/write-code'], expected "
        "['spiffe://example.com/package']))"
    )


def test_an_expired_certificate_does_not_count(chain: Path) -> None:
    expired = generate.PKI.functionary(
        "package", not_before=datetime(2025, 1, 1, tzinfo=UTC),
        not_after=datetime(2025, 12, 31, tzinfo=UTC),
    )  # fmt: skip
    package_link_by(chain, expired)
    assert (
        "functionary certificate expired at 2025-12-31T00:00:00Z, before the validation time "
        "2026-06-01T00:00:00Z (now)"
    ) in link_reason(verify_chain(chain))


def test_a_valid_certificate_beside_another_keys_signature_does_not_count(chain: Path) -> None:
    # A genuine certificate for `package` (another key of the same holder) pasted next to
    # the real signature: the signature must be by the certified key.
    other = generate.PKI.functionary(
        "package-second-key", common_name="package.example.com",
        uri="spiffe://example.com/package",
    )  # fmt: skip
    assert other.certificate is not None
    pem = other.certificate.public_bytes(serialization.Encoding.PEM).decode()
    edit(chain / PACKAGE_LINK, lambda d: d["signatures"][0].update(cert=pem))
    assert link_reason(verify_chain(chain)).endswith(
        "(certificate 'O=example,OU=example,CN=package.example.com': no signature of the link "
        "verifies under its key))"
    )


def test_a_constraint_naming_another_root_does_not_match(chain: Path) -> None:
    def other_root(signed: dict[str, Any]) -> None:
        signed["steps"][1]["cert_constraints"][0]["roots"] = ["0" * 64]

    resign_layout(chain, other_root)
    assert f"root ['{generate.ROOT_ID}'], expected ['{'0' * 64}']" in link_reason(
        verify_chain(chain)
    )


def test_a_step_without_cert_constraints_takes_no_certificates(chain: Path) -> None:
    resign_layout(chain, lambda s: s["steps"][1].pop("cert_constraints"))
    result = verify_chain(chain)
    assert result.failure is not None
    assert result.failure.stage == "links"
    assert reason(result) == (
        "step 'package': found 0 link files, expected at least threshold 1 (looked for nothing: "
        "no functionaries)"
    )


def test_a_certified_key_the_step_also_lists_is_one_functionary(chain: Path) -> None:
    def listed_too(signed: dict[str, Any]) -> None:
        signed["steps"][1]["pubkeys"] = [generate.PACKAGER.keyid]
        signed["steps"][1]["threshold"] = 2
        signed["keys"][generate.PACKAGER.keyid] = generate.PACKAGER.key

    resign_layout(chain, listed_too)
    # Two files by the one key: the certified link and a copy under another name.
    shutil.copy(chain / PACKAGE_LINK, chain / "package.0123abcd.link")
    assert link_reason(verify_chain(chain)).startswith(
        "step 'package': 1 of threshold 2 links signed by an authorized functionary"
    )


def test_a_ca_entry_whose_key_id_is_not_its_certificates_is_refused(chain: Path) -> None:
    def relabelled(signed: dict[str, Any]) -> None:
        [entry] = signed["rootcas"].values()
        signed["rootcas"] = {"f" * 64: entry | {"keyid": "f" * 64}}

    resign_layout(chain, relabelled)
    result = verify_chain(chain)
    assert result.failure is not None
    assert result.failure.stage == "metadata"
    assert reason(result) == (
        f"{chain / 'root.layout'}: rootcas[ffffffff]: key ID does not match the certificate's "
        f"key (computed {generate.ROOT_ID})"
    )


def test_a_malformed_certificate_in_a_signature_is_a_metadata_failure(chain: Path) -> None:
    edit(
        chain / CODER_LINK,
        lambda d: d["signatures"][0].update(
            cert="-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
        ),
    )
    result = verify_chain(chain)
    assert result.failure is not None
    assert result.failure.stage == "metadata"
    assert reason(result).startswith(
        f"{chain / CODER_LINK}: signatures[0].cert: not a well-formed X.509 certificate ("
    )


# -- in-toto-golang's own test data ----------------------------------------------------------


def test_in_toto_golangs_2021_layout_and_links_pass() -> None:
    folder = UPSTREAM / "fee73c67"
    result = verify(
        folder / "demo.layout", key=UPSTREAM / "alice.pub", artifact_sha256=DEMO_PRODUCT_SHA256
    )
    assert result.passed, result.failure
    assert [(step.name, step.functionaries) for step in result.steps] == [
        ("write-code", ("b7d643dec0a051096ee5d87221b5d91a33daa658699d30903e1cefb90c418401",)),
        ("package", ("d3ffd1086938b3698618adf088bf14b13db4c8ae19e4e78d73da49ee88492710",)),
    ]


def test_in_toto_golangs_earlier_layout_passes_over_the_in_toto_demo_links() -> None:
    links = corpus("in-toto") / "tests" / "demo_files"
    result = verify(UPSTREAM / "16fe653c" / "demo.layout", key=UPSTREAM / "alice.pub", links=links)
    assert result.passed, result.failure
    assert result.artifact_sha256 == DEMO_PRODUCT_SHA256


@pytest.fixture
def upstream(tmp_path: Path) -> Path:
    folder = tmp_path / "upstream"
    shutil.copytree(UPSTREAM / "fee73c67", folder)
    return folder


def test_upstream_tampered_expiry_fails_the_signature(upstream: Path) -> None:
    layout = upstream / "demo.layout"
    layout.write_text(layout.read_text().replace("2030-11-18T16:06:36Z", "2040-11-18T16:06:36Z"))
    result = verify(layout, key=UPSTREAM / "alice.pub", artifact_sha256=DEMO_PRODUCT_SHA256)
    assert reason(result).startswith("layout signed by 0 of threshold 1 layout keys")


def test_upstream_expiry_is_enforced() -> None:
    result = verify(
        UPSTREAM / "fee73c67" / "demo.layout", key=UPSTREAM / "alice.pub",
        artifact_sha256=DEMO_PRODUCT_SHA256, now=datetime(2031, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    assert reason(result) == (
        "layout expired at 2030-11-18T16:06:36Z, expected a layout valid at 2031-01-01T00:00:00Z"
    )


def test_upstream_tampered_link_fails(upstream: Path) -> None:
    link = upstream / "package.d3ffd108.link"
    link.write_text(link.read_text().replace('"a foo.py\\n"', '"a foo.py evil.py\\n"'))
    result = verify(upstream / "demo.layout", key=UPSTREAM / "alice.pub",
                    artifact_sha256=DEMO_PRODUCT_SHA256)  # fmt: skip
    assert reason(result) == (
        "step 'package': 0 of threshold 1 links signed by an authorized functionary "
        "(package.d3ffd108.link: no valid signature by an authorized functionary)"
    )


def test_upstream_replaced_artifact_and_wrong_key_fail(upstream: Path) -> None:
    replaced = verify(upstream / "demo.layout", key=UPSTREAM / "alice.pub",
                      artifact_sha256="ab" * 32)  # fmt: skip
    assert reason(replaced).startswith(
        f"artifact sha256:{'ab' * 32} is not a product of the final step 'package'"
    )
    wrong = verify(upstream / "demo.layout", key=GENERATED / "owner.pub",
                   artifact_sha256=DEMO_PRODUCT_SHA256)  # fmt: skip
    assert reason(wrong).startswith("layout signed by 0 of threshold 1 layout keys")


# -- through the CLI -------------------------------------------------------------------------


POLICY = """version: 1
vendors:
  golang-vendor:
    signers:
      - key: owner.pub
    in_toto: {layout_keys: [owner.pub]}
segments:
  plant:
    require:
      in_toto: {from: [golang-vendor]}
"""


def vendor_attestation(folder: Path) -> None:
    """The vendor's key-signed statement about the tarball (the vendor_signature every
    segment needs), so the layout decides the verdict."""
    digest = hashlib.sha256((folder / "foo.tar.gz").read_bytes()).hexdigest()
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "foo.tar.gz", "digest": {"sha256": digest}}],
        "predicateType": "https://example.com/release/v1",
        "predicate": {},
    }
    payload = json.dumps(statement).encode()
    sig = generate.OWNER.signer.sign(pae(IN_TOTO_PAYLOAD_TYPE, payload))
    envelope = {
        "payloadType": IN_TOTO_PAYLOAD_TYPE,
        "payload": base64.b64encode(payload).decode(),
        "signatures": [{"keyid": "", "sig": base64.b64encode(sig).decode()}],
    }
    (folder / "foo.tar.gz.intoto.json").write_text(json.dumps(envelope))


def cli_verify(cli: CliRunner, folder: Path) -> tuple[int, dict[str, Any], str]:
    (folder / "policy.yaml").write_text(POLICY)
    vendor_attestation(folder)
    result = cli(
        "verify", folder / "foo.tar.gz", "--policy", folder / "policy.yaml", "--segment",
        "plant", "--format", "json",
    )  # fmt: skip
    assert "Traceback" not in result.stderr
    return result.code, json.loads(result.stdout), result.stderr


def in_toto_finding(report: dict[str, Any]) -> str:
    found: str = next(f["reason"] for f in report["findings"] if f["rule"] == "in_toto")
    return found


def layout_problem(report: dict[str, Any]) -> str:
    problems: list[str] = [p["reason"] for p in report["evidence"]["problems"]]
    [problem] = [text for text in problems if ".layout" in text]
    return problem


def test_cli_the_golang_chain_is_allowed(cli: CliRunner, chain: Path) -> None:
    code, report, stderr = cli_verify(cli, chain)
    assert code == 0, stderr
    assert stderr == f"OK: {chain / 'foo.tar.gz'}: allowed for plant\n"
    assert in_toto_finding(report) == (
        "layout by golang-vendor verified (steps write-code, package); inspections skipped: untar"
    )


def test_cli_a_tampered_link_is_denied_with_its_reason(cli: CliRunner, chain: Path) -> None:
    edit(chain / CODER_LINK, lambda d: d["signed"]["products"].update({"x": {"sha256": "00"}}))
    code, report, stderr = cli_verify(cli, chain)
    assert code == 1
    assert stderr.startswith(f"FAIL: {chain / 'foo.tar.gz'}: denied for plant: in_toto: ")
    assert layout_problem(report) == (
        f"{chain / 'root.layout'}: in-toto layout (vendor golang-vendor): step 'write-code': 0 "
        f"of threshold 1 links signed by an authorized functionary ({CODER_LINK}: no valid "
        "signature by an authorized functionary)"
    )


def test_cli_an_expired_layout_is_denied_with_its_reason(cli: CliRunner, chain: Path) -> None:
    resign_layout(chain, lambda s: s.update(expires="2026-01-01T00:00:00Z"))
    code, report, _ = cli_verify(cli, chain)
    assert code == 1
    assert "in-toto layout (vendor golang-vendor): layout expired at 2026-01-01T00:00:00Z, " in (
        layout_problem(report)
    )


def test_cli_a_certificate_from_another_ca_is_denied(cli: CliRunner, chain: Path) -> None:
    package_link_by(chain, FunctionaryPki.create("another trust domain").functionary("package"))
    code, report, _ = cli_verify(cli, chain)
    assert code == 1
    assert "certificate chain does not reach a pinned root" in layout_problem(report)


# -- in-toto-golang's X.509 fields, parsed strictly -------------------------------------------


def layout_error(change: Any) -> str:
    document = json.loads((GENERATED / "root.layout").read_text())
    change(document["signed"])
    metadata = parse_metadata(json.dumps(document).encode(), "root.layout")
    with pytest.raises(EvidenceError) as refused:
        parse_layout(metadata)
    return str(refused.value)


def _root(signed: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = next(iter(signed["rootcas"].values()))
    return entry


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda s: s.update(rootcas=["-----BEGIN CERTIFICATE-----"]),
            "root.layout: rootcas: a list is in-toto-golang's pre-release shape; expected an "
            "object of key ID -> key with keyval.certificate",
        ),
        (
            lambda s: _root(s)["keyval"].update(private="secret"),
            f"root.layout: rootcas[{generate.ROOT_ID[:8]}]: holds a private key",
        ),
        (
            lambda s: _root(s)["keyval"].update(public=generate.OWNER.public_pem.decode()),
            f"root.layout: rootcas[{generate.ROOT_ID[:8]}]: keyval.public is not the "
            "certificate's key",
        ),
        (
            lambda s: _root(s)["keyval"].pop("certificate"),
            f"root.layout: rootcas[{generate.ROOT_ID[:8]}].keyval.certificate: expected a PEM "
            "certificate of at most 32768 chars",
        ),
        (
            lambda s: s["steps"][1]["cert_constraints"][0].update(serial="1"),
            "root.layout: step 'package'.cert_constraints[0]: expected an object of common_name, "
            "dns_names, emails, organizations, roots, uris, got ['common_name', 'dns_names', "
            "'emails', 'organizations', 'roots', 'serial', 'uris']",
        ),
        (
            lambda s: s["steps"][1]["cert_constraints"][0].update(uris="spiffe://x"),
            "root.layout: step 'package'.cert_constraints[0].uris: expected a list of at most "
            "256 strings",
        ),
    ],
)
def test_malformed_x509_fields_are_named(change: Any, message: str) -> None:
    assert layout_error(change) == message


def test_go_nil_lists_in_constraints_mean_none() -> None:
    document = json.loads((GENERATED / "root.layout").read_text())
    document["signed"]["steps"][1]["cert_constraints"][0]["dns_names"] = None
    layout = parse_layout(parse_metadata(json.dumps(document).encode(), "root.layout"))
    assert layout.steps[1].cert_constraints[0].dns_names == ()
