"""PEP 740 attestations through the evidence registry: found beside a distribution by `verify
--segment` and `vet`, decided as the gate decides, and refused when they are not about the
file (the attestation kind is three files: evidence/pep740.py, verification/pep740.py and one
line in verification/evidence_kinds.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

from provenance.testing.pep740_fixtures import WHEEL
from tests.conftest import CliRunner
from tests.test_pep740 import MINTED, MINTED_PUBLISHERS

SEGMENT = "lab"


def _delivery(tmp_path: Path, *names: str) -> tuple[Path, Path]:
    folder = tmp_path / "delivery"
    folder.mkdir()
    for name in names:
        shutil.copy(MINTED / name, folder / name)
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        f"version: 1\ntrust:\n  sigstore: [{MINTED / 'trusted_root.json'}]\n"
        f"vendors:\n  acme:\n    signers:\n{MINTED_PUBLISHERS}"
        f"segments:\n  {SEGMENT}:\n    require:\n      signed_by: [acme]\n"
        "      evidence: {minimum: attested-build}\n"
    )
    return folder, policy


def test_verify_segment_finds_the_attestations_beside_the_wheel(
    cli: CliRunner, tmp_path: Path
) -> None:
    folder, policy = _delivery(
        tmp_path, WHEEL, WHEEL + ".publish.attestation", WHEEL + ".slsa.attestation"
    )
    result = cli("verify", folder / WHEEL, "--policy", policy, "--segment", SEGMENT)
    assert result.code == 0, result.stderr
    assert result.stderr == f"OK: {folder / WHEEL}: allowed for {SEGMENT}\n"


def test_vet_allows_a_wheel_with_its_attestations_and_lists_their_kind(
    cli: CliRunner, tmp_path: Path
) -> None:
    folder, policy = _delivery(
        tmp_path, WHEEL, WHEEL + ".publish.attestation", WHEEL + ".provenance"
    )
    result = cli("vet", folder, "--policy", policy, "--segment", SEGMENT, "--format", "json")
    assert result.code == 0, result.stderr
    assert '"kind": "pep740-attestation"' in result.stdout


def test_the_same_bytes_renamed_are_denied_and_the_attestation_refused(
    cli: CliRunner, tmp_path: Path
) -> None:
    folder, policy = _delivery(tmp_path)
    renamed = "acme_plc_tools-2.1.1-py3-none-any.whl"
    shutil.copy(MINTED / WHEEL, folder / renamed)
    shutil.copy(
        MINTED / (WHEEL + ".publish.attestation"), folder / (renamed + ".publish.attestation")
    )
    result = cli("vet", folder, "--policy", policy, "--segment", SEGMENT)
    assert result.code == 1
    assert (
        f"{renamed}.publish.attestation: refused: pep740-attestation that verified nothing: "
        "attestation subject: expected the file name 'acme_plc_tools-2.1.1-py3-none-any.whl'"
    ) in result.stderr
    assert f"{renamed}: denied for {SEGMENT}: vendor_signature: " in result.stderr
