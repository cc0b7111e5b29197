"""Layout verification on chains generated here: thresholds, envelopes, key types, sublayouts,
metadata as received, inspections, and the operator-input errors."""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from provenance.errors import InputError
from provenance.testing.in_toto import (
    InTotoSigner,
    derive_signer,
    dsse_envelope,
    dump,
    inspection_dict,
    layout_dict,
    link_dict,
    link_filename,
    metablock,
    step_dict,
)
from provenance.verification.in_toto_layout import (
    MAX_SUBLAYOUT_DEPTH,
    LayoutResult,
    LayoutVerificationFailure,
    verify_layout,
)

SEED = "in-toto-layout-tests"
OWNER = derive_signer(SEED, "owner")
CODER = derive_signer(SEED, "coder", kind="p256")
PACKAGER = derive_signer(SEED, "packager", kind="p384")
REVIEWER = derive_signer(SEED, "reviewer")
NOW = datetime(2026, 6, 1, tzinfo=UTC)
SOURCE = b"print('hello')\n"
TARBALL = b"foo.tar.gz bytes"

Envelope = Literal["metablock", "dsse"]


def sign(
    signed: dict[str, Any], signers: Sequence[InTotoSigner], envelope: Envelope
) -> dict[str, Any]:
    return metablock(signed, signers) if envelope == "metablock" else dsse_envelope(signed, signers)


def standard_steps(*, coders: Sequence[InTotoSigner] = (CODER,), threshold: int = 1) -> list[Any]:
    return [
        step_dict(
            "write-code",
            [c.key for c in coders],
            threshold=threshold,
            products=[["CREATE", "foo.py"], ["DISALLOW", "*"]],
        ),
        step_dict(
            "package",
            [PACKAGER.key],
            materials=[
                ["MATCH", "foo.py", "WITH", "PRODUCTS", "FROM", "write-code"],
                ["DISALLOW", "*"],
            ],
            products=[["CREATE", "foo.tar.gz"], ["DISALLOW", "*"]],
            command=["tar", "zcvf", "foo.tar.gz", "foo.py"],
        ),
    ]


def standard_links() -> dict[str, tuple[dict[str, Any], InTotoSigner]]:
    return {
        link_filename("write-code", CODER.keyid): (
            link_dict("write-code", products={"foo.py": SOURCE}),
            CODER,
        ),
        link_filename("package", PACKAGER.keyid): (
            link_dict(
                "package",
                materials={"foo.py": SOURCE},
                products={"foo.tar.gz": TARBALL},
                command=["tar", "zcvf", "foo.tar.gz", "foo.py"],
            ),
            PACKAGER,
        ),
    }


@dataclass
class Chain:
    """A layout and its links written under a temporary directory."""

    root: Path
    layout: dict[str, Any]
    layout_signers: Sequence[InTotoSigner] = (OWNER,)
    envelope: Envelope = "metablock"

    @property
    def layout_path(self) -> Path:
        return self.root / "root.layout"

    @property
    def links(self) -> Path:
        return self.root / "links"

    def write(self, links: dict[str, tuple[dict[str, Any], InTotoSigner]] | None = None) -> Chain:
        self.links.mkdir(exist_ok=True)
        self.layout_path.write_bytes(dump(sign(self.layout, self.layout_signers, self.envelope)))
        for name, (signed, signer) in (standard_links() if links is None else links).items():
            (self.links / name).write_bytes(dump(sign(signed, [signer], self.envelope)))
        return self

    def verify(
        self,
        *,
        keys: Sequence[InTotoSigner] = (OWNER,),
        artifact: bytes = TARBALL,
        **options: Any,
    ) -> LayoutResult:
        return verify_layout(
            self.layout_path,
            layout_keys=[k.key for k in keys],
            link_dir=self.links,
            artifact_sha256=hashlib.sha256(artifact).digest(),
            now=NOW,
            **options,
        )


def chain(tmp_path: Path, **layout: Any) -> Chain:
    keys = layout.pop("keys", [CODER.key, PACKAGER.key, REVIEWER.key])
    steps = layout.pop("steps", standard_steps())
    return Chain(tmp_path, layout_dict(keys=keys, steps=steps, **layout))


def failed(result: LayoutResult) -> str:
    assert not result.passed
    assert result.failure is not None
    return result.failure.reason


# -- envelopes and key types ------------------------------------------------------------------


@pytest.mark.parametrize("envelope", ["metablock", "dsse"])
def test_generated_chain_passes(tmp_path: Path, envelope: Envelope) -> None:
    c = chain(tmp_path)
    c.envelope = envelope
    result = c.write().verify()
    assert result.passed, result.failure
    assert result.envelope == envelope
    assert result.signed_by == (OWNER.keyid,)
    assert [(s.name, s.functionaries) for s in result.steps] == [
        ("write-code", (CODER.keyid,)),
        ("package", (PACKAGER.keyid,)),
    ]
    assert result.artifact_products == ("foo.tar.gz",)
    assert result.complete  # no inspections in this layout
    assert result.warnings == ()
    result.raise_for_failure()  # passes: nothing to raise


@pytest.mark.parametrize("kind", ["ed25519", "p256", "p384"])
def test_layout_key_types(tmp_path: Path, kind: Literal["ed25519", "p256", "p384"]) -> None:
    owner = derive_signer(SEED, "owner-of-kind", kind=kind)
    c = chain(tmp_path)
    c.layout_signers = [owner]
    assert c.write().verify(keys=[owner]).passed


@pytest.fixture(scope="module")
def rsa_private() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.mark.parametrize("scheme", ["rsassa-pss-sha256", "rsa-pkcs1v15-sha256"])
def test_rsa_layout_and_functionary_keys(
    tmp_path: Path, rsa_private: rsa.RSAPrivateKey, scheme: Any
) -> None:
    rsa_signer = InTotoSigner(rsa_private, scheme, "rsa")
    links = standard_links()
    name = link_filename("write-code", CODER.keyid)
    links = {
        link_filename("write-code", rsa_signer.keyid): (links.pop(name)[0], rsa_signer),
        **links,
    }
    c = chain(
        tmp_path,
        keys=[rsa_signer.key, PACKAGER.key],
        steps=standard_steps(coders=[rsa_signer]),
    )
    c.layout_signers = [rsa_signer]
    result = c.write(links).verify(keys=[rsa_signer])
    assert result.passed, result.failure
    assert result.steps[0].functionaries == (rsa_signer.keyid,)


def test_same_rsa_key_under_the_other_scheme_does_not_verify(
    tmp_path: Path, rsa_private: rsa.RSAPrivateKey
) -> None:
    pss = InTotoSigner(rsa_private, "rsassa-pss-sha256", "rsa")
    pkcs1 = InTotoSigner(rsa_private, "rsa-pkcs1v15-sha256", "rsa")
    c = chain(tmp_path)
    c.layout_signers = [pss]
    assert failed(c.write().verify(keys=[pkcs1])).startswith(
        "layout signed by 0 of threshold 1 layout keys"
    )


# -- thresholds -------------------------------------------------------------------------------


def test_layout_threshold_counts_each_key_once(tmp_path: Path) -> None:
    c = chain(tmp_path)
    c.layout_signers = [OWNER, OWNER, OWNER]  # three signatures, one key
    result = c.write().verify(keys=[OWNER, REVIEWER], threshold=2)
    assert failed(result) == (
        f"layout signed by 1 of threshold 2 layout keys (trusted: {OWNER.keyid[:8]}, "
        f"{REVIEWER.keyid[:8]}; 3 signatures present)"
    )
    assert result.signed_by == (OWNER.keyid,)


def test_layout_threshold_one_of_two(tmp_path: Path) -> None:
    result = chain(tmp_path).write().verify(keys=[OWNER, REVIEWER], threshold=1)
    assert result.passed
    assert result.threshold == 1


def test_key_id_hints_do_not_decide_which_key_is_tried(tmp_path: Path) -> None:
    c = chain(tmp_path).write()
    document = json.loads(c.layout_path.read_text())
    document["signatures"][0]["keyid"] = REVIEWER.keyid  # a lying hint
    c.layout_path.write_text(json.dumps(document))
    assert c.verify().passed
    assert not c.verify(keys=[REVIEWER]).passed


def test_step_threshold_counts_distinct_functionaries(tmp_path: Path) -> None:
    c = chain(tmp_path, steps=standard_steps(coders=[CODER, REVIEWER], threshold=2))
    links = standard_links()
    # The coder's link carries two signatures by the coder: still one functionary.
    signed, _ = links[link_filename("write-code", CODER.keyid)]
    c.write(links)
    (c.links / link_filename("write-code", CODER.keyid)).write_bytes(
        dump(metablock(signed, [CODER, CODER]))
    )
    (c.links / link_filename("write-code", REVIEWER.keyid)).write_bytes(
        dump(metablock(signed, [CODER]))  # filed under the reviewer's name, signed by the coder
    )
    result = c.verify()
    assert failed(result) == (
        "step 'write-code': 1 of threshold 2 links signed by an authorized functionary"
    )
    assert result.failure is not None
    assert result.failure.stage == "link-signature"


def test_step_threshold_met_by_two_agreeing_functionaries(tmp_path: Path) -> None:
    c = chain(tmp_path, steps=standard_steps(coders=[CODER, REVIEWER], threshold=2))
    links = standard_links()
    signed, _ = links[link_filename("write-code", CODER.keyid)]
    links[link_filename("write-code", REVIEWER.keyid)] = (signed, REVIEWER)
    result = c.write(links).verify()
    assert result.passed, result.failure
    assert result.steps[0].functionaries == (CODER.keyid, REVIEWER.keyid)
    assert len(result.steps[0].links) == 2


def test_step_links_that_disagree_fail(tmp_path: Path) -> None:
    c = chain(tmp_path, steps=standard_steps(coders=[CODER, REVIEWER], threshold=2))
    links = standard_links()
    links[link_filename("write-code", REVIEWER.keyid)] = (
        link_dict("write-code", products={"foo.py": b"something else"}),
        REVIEWER,
    )
    result = c.write(links).verify()
    assert failed(result) == (
        f"step 'write-code': links write-code.{CODER.keyid[:8]}.link and "
        f"write-code.{REVIEWER.keyid[:8]}.link disagree on materials or products, expected "
        "identical artifacts from every functionary"
    )
    assert result.failure is not None
    assert result.failure.stage == "link-agreement"


def test_link_signed_by_an_unauthorized_key_does_not_count(tmp_path: Path) -> None:
    links = standard_links()
    name = link_filename("package", PACKAGER.keyid)
    links[name] = (links[name][0], REVIEWER)  # the reviewer is in the layout, not this step
    result = chain(tmp_path).write(links).verify()
    assert failed(result) == (
        "step 'package': 0 of threshold 1 links signed by an authorized functionary "
        f"({name}: no valid signature by an authorized functionary)"
    )


def test_link_for_another_step_does_not_count(tmp_path: Path) -> None:
    links = standard_links()
    name = link_filename("package", PACKAGER.keyid)
    links[name] = (link_dict("write-code", products={"foo.tar.gz": TARBALL}), PACKAGER)
    assert failed(chain(tmp_path).write(links).verify()) == (
        "step 'package': 0 of threshold 1 links signed by an authorized functionary "
        f"({name}: is a link for step 'write-code')"
    )


def test_command_mismatch_only_warns(tmp_path: Path) -> None:
    links = standard_links()
    name = link_filename("package", PACKAGER.keyid)
    signed = dict(links[name][0], command=["sh", "-c", "tar zcvf foo.tar.gz foo.py"])
    links[name] = (signed, PACKAGER)
    result = chain(tmp_path).write(links).verify()
    assert result.passed
    assert result.warnings == (
        f"step 'package': {name} ran ['sh', '-c', 'tar zcvf foo.tar.gz foo.py'], "
        "expected command ['tar', 'zcvf', 'foo.tar.gz', 'foo.py']",
    )


# -- artifact rules, end to end ---------------------------------------------------------------


def test_extra_product_is_disallowed(tmp_path: Path) -> None:
    links = standard_links()
    name = link_filename("package", PACKAGER.keyid)
    signed = link_dict(
        "package",
        materials={"foo.py": SOURCE},
        products={"foo.tar.gz": TARBALL, "backdoor.so": b"x"},
        command=["tar", "zcvf", "foo.tar.gz", "foo.py"],
    )
    links[name] = (signed, PACKAGER)
    result = chain(tmp_path).write(links).verify()
    assert failed(result) == "step 'package': product 'backdoor.so' disallowed by rule DISALLOW *"
    assert result.failure is not None
    assert (result.failure.stage, result.failure.step, result.failure.rule) == (
        "artifact-rules",
        "package",
        "DISALLOW *",
    )


def test_material_changed_between_steps_is_disallowed(tmp_path: Path) -> None:
    links = standard_links()
    name = link_filename("package", PACKAGER.keyid)
    signed = link_dict(
        "package",
        materials={"foo.py": b"print('pwned')\n"},
        products={"foo.tar.gz": TARBALL},
        command=["tar", "zcvf", "foo.tar.gz", "foo.py"],
    )
    links[name] = (signed, PACKAGER)
    assert failed(chain(tmp_path).write(links).verify()) == (
        "step 'package': material 'foo.py' disallowed by rule DISALLOW *"
    )


def test_artifact_must_be_a_product_of_the_last_step_not_an_earlier_one(tmp_path: Path) -> None:
    # foo.py is a verified product of write-code, but the chain delivers foo.tar.gz.
    result = chain(tmp_path).write().verify(artifact=SOURCE)
    assert failed(result).startswith(
        f"artifact sha256:{hashlib.sha256(SOURCE).hexdigest()} is not a product of the final "
        "step 'package', expected one of its products: foo.tar.gz (sha256:"
    )


def test_layout_without_steps_says_nothing_about_the_artifact(tmp_path: Path) -> None:
    result = chain(tmp_path, steps=[]).write({}).verify()
    assert failed(result) == "layout has no steps, so no product can be the artifact"


# -- metadata as received ---------------------------------------------------------------------


def test_unknown_fields_in_signed_still_verify(tmp_path: Path) -> None:
    # As in-toto-golang writes them: fields the Python model drops, inside the signature.
    c = chain(tmp_path)
    c.layout["rootcas"] = {}
    c.layout["intermediatecas"] = {}
    c.layout["steps"][0]["cert_constraints"] = [{"common_name": "*"}]
    links = standard_links()
    links[link_filename("write-code", CODER.keyid)][0]["extra"] = {"golang": True}
    assert c.write(links).verify().passed


def test_any_changed_byte_in_signed_fails(tmp_path: Path) -> None:
    c = chain(tmp_path)
    c.layout["rootcas"] = {}
    c.write()
    text = c.layout_path.read_text()
    c.layout_path.write_text(text.replace('"rootcas": {}', '"rootcas": {"x": 1}'))
    assert failed(c.verify()).startswith("layout signed by 0 of threshold 1 layout keys")
    c.layout_path.write_text(text.replace("2030-01-01T00:00:00Z", "2031-01-01T00:00:00Z"))
    assert failed(c.verify()).startswith("layout signed by 0 of threshold 1 layout keys")


def test_whitespace_and_key_order_outside_signed_bytes_do_not_matter(tmp_path: Path) -> None:
    c = chain(tmp_path).write()
    document = json.loads(c.layout_path.read_text())
    c.layout_path.write_text(json.dumps(document, sort_keys=True, indent=7))
    assert c.verify().passed


# -- sublayouts -------------------------------------------------------------------------------


def write_sublayout_chain(tmp_path: Path, depth: int) -> Chain:
    """`package` is delegated `depth` levels deep: each level's functionary signs a sublayout
    whose single step `package` is delegated again, until the last level's real link."""
    owners = [derive_signer(SEED, "sub-owner", str(level)) for level in range(depth + 1)]
    c = chain(
        tmp_path,
        keys=[CODER.key, owners[0].key],
        steps=[
            standard_steps()[0],
            step_dict("package", [owners[0].key], products=[["CREATE", "foo.tar.gz"]]),
        ],
    )
    links = standard_links()
    del links[link_filename("package", PACKAGER.keyid)]
    c.write(links)
    directory = c.links
    for level in range(depth):
        owner, delegate = owners[level], owners[level + 1]
        sub = layout_dict(keys=[delegate.key], steps=[step_dict("package", [delegate.key])])
        (directory / link_filename("package", owner.keyid)).write_bytes(
            dump(metablock(sub, [owner]))
        )
        directory = directory / f"package.{owner.keyid[:8]}"
        directory.mkdir()
    final = link_dict("package", materials={"foo.py": SOURCE}, products={"foo.tar.gz": TARBALL})
    (directory / link_filename("package", owners[depth].keyid)).write_bytes(
        dump(metablock(final, [owners[depth]]))
    )
    return c


def test_sublayout_is_verified_and_summarized(tmp_path: Path) -> None:
    result = write_sublayout_chain(tmp_path, 1).verify()
    assert result.passed, result.failure
    (sublayout,) = result.steps[1].sublayouts
    assert sublayout.passed
    assert sublayout.signed_by == (derive_signer(SEED, "sub-owner", "0").keyid,)
    assert [s.name for s in sublayout.steps] == ["package"]
    assert result.artifact_products == ("foo.tar.gz",)


def test_sublayout_with_a_missing_link_fails_inside(tmp_path: Path) -> None:
    c = write_sublayout_chain(tmp_path, 1)
    owner = derive_signer(SEED, "sub-owner", "0")
    delegate = derive_signer(SEED, "sub-owner", "1")
    (c.links / f"package.{owner.keyid[:8]}" / link_filename("package", delegate.keyid)).unlink()
    result = c.verify()
    assert failed(result) == (
        f"step 'package': sublayout {link_filename('package', owner.keyid)}: step 'package': "
        f"found 0 link files, expected at least threshold 1 (looked for "
        f"{link_filename('package', delegate.keyid)})"
    )
    assert result.failure is not None
    assert result.failure.stage == "links"
    assert result.failure.layout.endswith(link_filename("package", owner.keyid))


def test_expired_sublayout_fails(tmp_path: Path) -> None:
    c = write_sublayout_chain(tmp_path, 1)
    owner = derive_signer(SEED, "sub-owner", "0")
    delegate = derive_signer(SEED, "sub-owner", "1")
    sub = layout_dict(
        keys=[delegate.key],
        steps=[step_dict("package", [delegate.key])],
        expires="2025-01-01T00:00:00Z",
    )
    (c.links / link_filename("package", owner.keyid)).write_bytes(dump(metablock(sub, [owner])))
    assert "layout expired at 2025-01-01T00:00:00Z" in failed(c.verify())


def test_sublayouts_nest_up_to_the_limit(tmp_path: Path) -> None:
    assert write_sublayout_chain(tmp_path, MAX_SUBLAYOUT_DEPTH).verify().passed


def test_sublayouts_nested_too_deep_fail(tmp_path: Path) -> None:
    result = write_sublayout_chain(tmp_path, MAX_SUBLAYOUT_DEPTH + 1).verify()
    assert failed(result).endswith(f"nests sublayouts deeper than {MAX_SUBLAYOUT_DEPTH} levels")
    assert result.failure is not None
    assert result.failure.stage == "sublayout"


# -- inspections ------------------------------------------------------------------------------


def inspection_chain(tmp_path: Path, script: str, **rules: Any) -> Chain:
    command = [sys.executable, "-c", script]
    return chain(tmp_path, inspect=[inspection_dict("check", command, **rules)]).write()


MARKER_SCRIPT = "open('marker', 'w').write('ran')"


def test_inspections_are_never_run_by_default(tmp_path: Path) -> None:
    workdir = tmp_path / "work"
    workdir.mkdir()
    c = inspection_chain(tmp_path, MARKER_SCRIPT)
    result = c.verify(inspection_dir=workdir)  # a directory alone does not opt in
    assert result.passed
    assert result.inspections_skipped == ("check",)
    assert result.inspections_run == ()
    assert not result.complete
    assert not (workdir / "marker").exists()
    assert not (tmp_path / "marker").exists()
    assert not Path("marker").exists()


def test_inspections_run_when_asked(tmp_path: Path) -> None:
    workdir = tmp_path / "work"
    workdir.mkdir()
    c = inspection_chain(tmp_path, MARKER_SCRIPT, products=[["CREATE", "marker"]])
    result = c.verify(run_inspections=True, inspection_dir=workdir)
    assert result.passed, result.failure
    assert (workdir / "marker").read_text() == "ran"
    assert result.inspections_run == ("check",)
    assert result.inspections_skipped == ()
    assert result.complete


def test_inspection_rules_are_evaluated_when_run(tmp_path: Path) -> None:
    workdir = tmp_path / "work"
    workdir.mkdir()
    (workdir / "foo.tar.gz").write_bytes(b"a different tarball")
    c = inspection_chain(
        tmp_path,
        "pass",
        materials=[
            ["MATCH", "foo.tar.gz", "WITH", "PRODUCTS", "FROM", "package"],
            ["DISALLOW", "*"],
        ],
    )
    result = c.verify(run_inspections=True, inspection_dir=workdir)
    assert (
        failed(result) == "inspection 'check': material 'foo.tar.gz' disallowed by rule DISALLOW *"
    )
    (workdir / "foo.tar.gz").write_bytes(TARBALL)
    assert c.verify(run_inspections=True, inspection_dir=workdir).passed


def test_failing_inspection_fails(tmp_path: Path) -> None:
    workdir = tmp_path / "work"
    workdir.mkdir()
    c = inspection_chain(tmp_path, "raise SystemExit(3)")
    result = c.verify(run_inspections=True, inspection_dir=workdir)
    assert failed(result) == (
        f"inspection 'check': command {[sys.executable, '-c', 'raise SystemExit(3)']} exited "
        "with 3, expected 0"
    )
    assert result.failure is not None
    assert result.failure.stage == "inspection"


def test_inspection_timeout(tmp_path: Path) -> None:
    workdir = tmp_path / "work"
    workdir.mkdir()
    c = inspection_chain(tmp_path, "import time; time.sleep(30)")
    result = c.verify(run_inspections=True, inspection_dir=workdir, inspection_timeout=0.5)
    assert failed(result).endswith("timed out after 0.5 s")


def test_inspection_command_that_does_not_exist(tmp_path: Path) -> None:
    workdir = tmp_path / "work"
    workdir.mkdir()
    c = chain(tmp_path, inspect=[inspection_dict("check", ["./no-such-tool"])]).write()
    result = c.verify(run_inspections=True, inspection_dir=workdir)
    assert failed(result) == (
        "inspection 'check': command ['./no-such-tool'] could not run: No such file or directory"
    )


# -- operator inputs --------------------------------------------------------------------------


def test_operator_input_errors(tmp_path: Path) -> None:
    c = chain(tmp_path).write()
    with pytest.raises(InputError, match="expected at least one layout key, got none"):
        c.verify(keys=[])
    with pytest.raises(InputError, match=r"expected a layout threshold between 1 and 1 .* got 2"):
        c.verify(threshold=2)
    with pytest.raises(InputError, match="running inspections needs a working directory"):
        c.verify(run_inspections=True)
    with pytest.raises(InputError, match="expected a directory of link files"):
        verify_layout(
            c.layout_path,
            layout_keys=[OWNER.key],
            link_dir=tmp_path / "nope",
            artifact_sha256=bytes(32),
            now=NOW,
        )
    with pytest.raises(InputError, match="cannot read in-toto metadata"):
        verify_layout(
            tmp_path / "missing.layout",
            layout_keys=[OWNER.key],
            link_dir=c.links,
            artifact_sha256=bytes(32),
            now=NOW,
        )


def test_raise_for_failure_raises_the_failure(tmp_path: Path) -> None:
    result = chain(tmp_path).write().verify(keys=[REVIEWER])
    with pytest.raises(LayoutVerificationFailure, match="layout signed by 0") as raised:
        result.raise_for_failure()
    assert raised.value.failure == result.failure
    assert raised.value.check == "in-toto layout"


def test_expiry_is_inclusive_of_the_instant(tmp_path: Path) -> None:
    c = chain(tmp_path, expires="2026-06-01T00:00:00Z").write()
    assert c.verify().passed  # expires == now: not yet expired (in-toto: expires < now)


def test_helpers_are_deterministic() -> None:
    signed = layout_dict(keys=[CODER.key, PACKAGER.key], steps=standard_steps())
    for envelope in ("metablock", "dsse"):
        first = dump(sign(signed, [OWNER, CODER, PACKAGER], envelope))
        again = dump(sign(signed, [OWNER, CODER, PACKAGER], envelope))
        assert first == again
    assert derive_signer(SEED, "owner").keyid == OWNER.keyid
    assert derive_signer(SEED, "other").keyid != OWNER.keyid


def test_a_link_given_as_the_layout_fails(tmp_path: Path) -> None:
    c = chain(tmp_path).write()
    link = c.links / link_filename("package", PACKAGER.keyid)
    result = verify_layout(
        link,
        layout_keys=[PACKAGER.key],
        link_dir=c.links,
        artifact_sha256=hashlib.sha256(TARBALL).digest(),
        now=NOW,
    )
    assert failed(result) == f"{link}: expected a layout, got a link"


def test_links_must_agree_even_when_one_would_meet_the_threshold(tmp_path: Path) -> None:
    # in-toto would take whichever link it read first; we refuse to let file order decide.
    c = chain(tmp_path, steps=standard_steps(coders=[CODER, REVIEWER], threshold=1))
    links = standard_links()
    links[link_filename("write-code", REVIEWER.keyid)] = (
        link_dict("write-code", products={"foo.py": b"another version"}),
        REVIEWER,
    )
    result = c.write(links).verify()
    assert result.failure is not None
    assert result.failure.stage == "link-agreement"
