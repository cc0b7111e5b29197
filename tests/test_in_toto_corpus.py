"""The in-toto project's own demo supply chain (../shared/corpora/in-toto), metablock and DSSE.

As upstream's tests do, the unsigned template layout is signed here with alice's test key; it
gains the `expires` field the Python model would have added when loading it. The links and
keys are upstream's, byte for byte.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from provenance.testing.in_toto import InTotoSigner, dsse_envelope, dump, metablock
from provenance.verification.in_toto_keys import load_layout_key
from provenance.verification.in_toto_layout import LayoutResult, verify_layout
from tests.conftest import corpus

NOW = datetime(2026, 6, 1, tzinfo=UTC)
FUTURE = "2031-03-01T12:00:00Z"
FINAL_PRODUCT_SHA256 = "52947cb78b91ad01fe81cd6aef42d1f6817e92b9e6936c1e5aabb7c98514f355"
FORMATS = {"metablock": "demo_files", "dsse": "demo_dsse_files"}


def demo() -> Path:
    return corpus("in-toto") / "tests" / "demo_files"


def template(envelope: str) -> dict[str, Any]:
    raw = json.loads((demo().parent / FORMATS[envelope] / "demo.layout.template").read_text())
    signed: dict[str, Any] = (
        json.loads(base64.b64decode(raw["payload"])) if envelope == "dsse" else raw["signed"]
    )
    return signed


def signer(name: str) -> InTotoSigner:
    return InTotoSigner.from_pem((demo() / name).read_bytes(), name)


def write_layout(
    tmp_path: Path, envelope: str, signers: list[InTotoSigner], *, expires: str = FUTURE
) -> Path:
    signed = template(envelope)
    signed["expires"] = expires
    document = (
        metablock(signed, signers) if envelope == "metablock" else dsse_envelope(signed, signers)
    )
    path = tmp_path / "root.layout"
    path.write_bytes(dump(document))
    return path


def link_dir(tmp_path: Path, envelope: str) -> Path:
    """A writable copy of upstream's links, to tamper with."""
    target = tmp_path / "links"
    source = demo().parent / FORMATS[envelope]
    target.mkdir()
    for link in source.glob("*.link"):
        shutil.copy(link, target / link.name)
    return target


def verify(
    tmp_path: Path,
    envelope: str,
    layout: Path,
    *,
    keys: tuple[str, ...] = ("alice.pub",),
    artifact: bytes | None = None,
    links: Path | None = None,
) -> LayoutResult:
    product = (demo() / "foo.tar.gz").read_bytes() if artifact is None else artifact
    return verify_layout(
        layout,
        layout_keys=[load_layout_key(demo() / name) for name in keys],
        link_dir=links or link_dir(tmp_path, envelope),
        artifact_sha256=hashlib.sha256(product).digest(),
        now=NOW,
    )


envelopes = pytest.mark.parametrize("envelope", list(FORMATS))


@envelopes
def test_valid_chain_passes_and_inspection_is_skipped_not_run(
    tmp_path: Path, envelope: str
) -> None:
    result = verify(tmp_path, envelope, write_layout(tmp_path, envelope, [signer("alice")]))
    assert result.passed, result.failure
    assert result.failure is None
    assert result.envelope == envelope
    assert result.signed_by == ("c8ef46bd3ccb95e2617a80e447d0c8c6338f85334c2f6c6cb640e140fc183763",)
    assert [step.name for step in result.steps] == ["write-code", "package"]
    assert result.steps[1].functionaries == (
        "2f89b9272acfc8f4a0a0f094d789fdb0ba798b0fe41f2f5f417c12f0085ff498",
    )
    assert result.steps[1].links == ("package.2f89b927.link",)
    assert result.artifact_sha256 == FINAL_PRODUCT_SHA256
    assert result.artifact_products == ("foo.tar.gz",)
    assert result.expires == datetime(2031, 3, 1, 12, tzinfo=UTC)
    # The inspection (`python ./scripts/tar xfz foo.tar.gz`) was not run: partial verification.
    assert result.inspections_skipped == ("untar",)
    assert result.inspections_run == ()
    assert not result.complete


@envelopes
def test_double_signed_layout_verifies_with_both_keys(tmp_path: Path, envelope: str) -> None:
    layout = write_layout(tmp_path, envelope, [signer("alice"), signer("bob")])
    result = verify(tmp_path, envelope, layout, keys=("alice.pub", "bob.pub"))
    assert result.passed, result.failure
    assert result.threshold == 2
    assert set(result.signed_by) == {
        "c8ef46bd3ccb95e2617a80e447d0c8c6338f85334c2f6c6cb640e140fc183763",
        "210dcc50ed4dd534fca6dcf71e4ea8bd36b399d1098c3116bcd53004784f16ae",
    }


@envelopes
def test_layout_signed_by_one_of_two_required_keys_fails(tmp_path: Path, envelope: str) -> None:
    layout = write_layout(tmp_path, envelope, [signer("alice")])
    result = verify(tmp_path, envelope, layout, keys=("alice.pub", "bob.pub"))
    assert result.failure is not None
    assert result.failure.stage == "layout-signature"
    assert result.failure.reason.startswith("layout signed by 1 of threshold 2 layout keys")


@envelopes
def test_expired_layout_fails(tmp_path: Path, envelope: str) -> None:
    layout = write_layout(tmp_path, envelope, [signer("alice")], expires="2020-01-01T00:00:00Z")
    result = verify(tmp_path, envelope, layout)
    assert not result.passed
    assert result.failure is not None
    assert result.failure.stage == "expiry"
    assert result.failure.reason == (
        "layout expired at 2020-01-01T00:00:00Z, expected a layout valid at 2026-06-01T00:00:00Z"
    )
    # The signature verified before expiry was checked, and the result says so.
    assert result.signed_by == ("c8ef46bd3ccb95e2617a80e447d0c8c6338f85334c2f6c6cb640e140fc183763",)


@envelopes
def test_layout_checked_with_the_wrong_key_fails(tmp_path: Path, envelope: str) -> None:
    result = verify(
        tmp_path, envelope, write_layout(tmp_path, envelope, [signer("alice")]), keys=("bob.pub",)
    )
    assert result.failure is not None
    assert result.failure.stage == "layout-signature"
    assert result.failure.reason == (
        "layout signed by 0 of threshold 1 layout keys (trusted: 210dcc50; 1 signatures present)"
    )
    assert result.signed_by == ()
    assert result.steps == ()


def test_unsigned_metablock_layout_fails(tmp_path: Path) -> None:
    layout = tmp_path / "root.layout"
    shutil.copy(demo() / "demo.layout.template", layout)  # upstream's, "signatures": []
    result = verify(tmp_path, "metablock", layout)
    assert result.failure is not None
    assert result.failure.stage == "layout-signature"
    assert result.failure.reason == (
        "layout signed by 0 of threshold 1 layout keys (trusted: c8ef46bd; 0 signatures present)"
    )


def test_unsigned_dsse_layout_fails(tmp_path: Path) -> None:
    layout = tmp_path / "root.layout"
    shutil.copy(demo().parent / "demo_dsse_files" / "demo.layout.template", layout)
    result = verify(tmp_path, "dsse", layout)
    assert result.failure is not None
    assert result.failure.stage == "metadata"
    assert result.failure.reason == f"{layout}: DSSE envelope has no signatures"


def _tamper_package_link(links: Path, envelope: str) -> None:
    path = links / "package.2f89b927.link"
    document = json.loads(path.read_text())
    forged = "0" * 64
    if envelope == "metablock":
        document["signed"]["products"]["foo.tar.gz"]["sha256"] = forged
    else:
        payload = json.loads(base64.b64decode(document["payload"]))
        payload["products"]["foo.tar.gz"]["sha256"] = forged
        document["payload"] = base64.b64encode(json.dumps(payload).encode()).decode()
    path.write_text(json.dumps(document))


@envelopes
def test_tampered_link_fails(tmp_path: Path, envelope: str) -> None:
    layout = write_layout(tmp_path, envelope, [signer("alice")])
    links = link_dir(tmp_path, envelope)
    _tamper_package_link(links, envelope)
    result = verify(tmp_path, envelope, layout, links=links)
    assert result.failure is not None
    assert result.failure.stage == "link-signature"
    assert result.failure.step == "package"
    assert result.failure.reason == (
        "step 'package': 0 of threshold 1 links signed by an authorized functionary "
        "(package.2f89b927.link: no valid signature by an authorized functionary)"
    )
    assert [step.name for step in result.steps] == ["write-code"]


@envelopes
def test_missing_link_fails(tmp_path: Path, envelope: str) -> None:
    layout = write_layout(tmp_path, envelope, [signer("alice")])
    links = link_dir(tmp_path, envelope)
    (links / "write-code.776a00e2.link").unlink()
    result = verify(tmp_path, envelope, layout, links=links)
    assert result.failure is not None
    assert result.failure.stage == "links"
    assert result.failure.reason == (
        "step 'write-code': found 0 link files, expected at least threshold 1 "
        "(looked for write-code.776a00e2.link)"
    )


@envelopes
def test_swapped_final_product_fails(tmp_path: Path, envelope: str) -> None:
    layout = write_layout(tmp_path, envelope, [signer("alice")])
    swapped = b"not the tarball the packager made"
    result = verify(tmp_path, envelope, layout, artifact=swapped)
    assert result.failure is not None
    assert result.failure.stage == "artifact-binding"
    assert result.failure.reason == (
        f"artifact sha256:{hashlib.sha256(swapped).hexdigest()} is not a product of the final "
        f"step 'package', expected one of its products: foo.tar.gz (sha256:{FINAL_PRODUCT_SHA256})"
    )
    # Everything before the binding verified; the result records it for the auditor.
    assert [step.name for step in result.steps] == ["write-code", "package"]


def test_expected_json_lists_the_cases_tested_here() -> None:
    expected = json.loads((corpus("in-toto") / "expected.json").read_text())
    assert len(expected) == 18
    assert {case["expect"] for case in expected.values()} == {"pass", "fail"}
