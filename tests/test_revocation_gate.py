"""Issue 22, revocation an attacker cannot skip, through the CLI: the fixture's revoked
signer with and without its CRL, the vendor's older CRL shipped instead of the current one,
`provenance crl import` and what admit remembers.

The attacker holds genuine material: firmware signed by a certificate the vendor revoked for
key compromise, and the vendor's earlier CRL (inside its validity window, issued before the
revocation).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from fixtures import vendor_native as nw
from provenance.signing.keys import generate_key
from tests.conftest import CliResult, CliRunner

REPO = Path(__file__).parents[1]
REVOKED = REPO / "fixtures/northwind-revoked"
DELIVERY = REPO / "fixtures/northwind-delivery"
POLICY = DELIVERY / "policy.yaml"
FW = nw.REVOKED_FIRMWARE
L1 = "level1-controllers"
CA = "'CN=Northwind Controls Code Signing CA,O=Northwind Controls,C=DE'"


def decide(cli: CliRunner, folder: Path, *extra: str | Path) -> tuple[CliResult, dict[str, Any]]:
    result = cli(
        "verify", folder / FW, "--policy", POLICY, "--segment", L1, "--format", "json", *extra
    )
    assert "Traceback" not in result.stderr
    return result, json.loads(result.stdout)


def problem(report: dict[str, Any]) -> str:
    (found,) = [p["reason"] for p in report["evidence"]["problems"]]
    reason: str = found
    return reason


def old_crl() -> bytes:
    """The vendor's first CRL: issued 2026-04-01, valid for years, before the revocation."""
    crl = nw.vendor_pki().crl(
        number=nw.CRL_NUMBER - 1,
        listing_revoked_leaf=False,
        revoked_leaf=nw.revoked_signer(),
        this_update=nw.REVOKED_AT.replace(month=4),
        next_update=nw.CRL_NEXT_UPDATE,
    )
    return crl.public_bytes(serialization.Encoding.DER)


@pytest.fixture
def attacked(tmp_path: Path) -> Path:
    """The revoked firmware with the older CRL in place of the current one."""
    folder = tmp_path / "delivery"
    shutil.copytree(REVOKED / "with-crl", folder)
    (folder / "northwind-ca.crl").write_bytes(old_crl())
    return folder


def test_revoked_signer_with_its_crl_is_denied(cli: CliRunner, tmp_path: Path) -> None:
    result, report = decide(cli, REVOKED / "with-crl", "--state-dir", tmp_path / "state")
    assert result.code == 1
    source = REVOKED / "with-crl" / f"{FW}.p7s"
    assert problem(report) == (
        f"{source}: signer certificate revoked on 2026-05-01T00:00:00Z (keyCompromise; CRL "
        "northwind-ca.crl)"
    )
    assert result.stderr.startswith(f"FAIL: {REVOKED / 'with-crl' / FW}: denied for {L1}: ")


def test_revoked_signer_without_its_crl_is_denied_with_the_next_step(
    cli: CliRunner, tmp_path: Path
) -> None:
    """Leaving the CRL out no longer turns revocation into "not checked"."""
    result, report = decide(cli, REVOKED / "without-crl", "--state-dir", tmp_path / "state")
    assert result.code == 1
    source = REVOKED / "without-crl" / f"{FW}.p7s"
    expected = (
        f"{source}: revocation required: no answer for the signer certificate (no CRL of its "
        f"issuer: {CA}); carry the issuer's CRL in (beside the delivery, `provenance crl "
        "import`, or `crls:` in the policy's x509 signer), or allow --online-revocation"
    )
    assert problem(report) == expected
    assert f"(evidence that did not verify: {expected})" in result.stderr


def test_crl_import_carries_the_crl_in(cli: CliRunner, tmp_path: Path) -> None:
    state = tmp_path / "state"
    imported = cli("crl", "import", REVOKED / "with-crl/northwind-ca.crl", "--state-dir", state)
    assert imported.code == 0, imported.stderr
    assert imported.stderr.startswith(
        f"OK: {REVOKED / 'with-crl/northwind-ca.crl'}: kept (issuer {CA}, number 2, thisUpdate "
        "2026-05-15T00:00:00Z, sha256 "
    )
    result, report = decide(cli, REVOKED / "without-crl", "--state-dir", state)
    assert result.code == 1
    assert "signer certificate revoked on 2026-05-01T00:00:00Z (keyCompromise; CRL state:" in (
        problem(report)
    )
    again = cli("crl", "import", REVOKED / "with-crl/northwind-ca.crl", "--state-dir", state)
    assert again.code == 0
    assert ": already kept (issuer " in again.stderr


def test_the_older_crl_alone_is_all_the_gate_knows(cli: CliRunner, attacked: Path) -> None:
    """Honest limit: a CRL inside its validity window, with nothing newer ever seen, answers.
    What closes the gap: the current CRL carried in (next tests), or --online-revocation."""
    result, _ = decide(cli, attacked, "--state-dir", attacked.parent / "empty-state")
    assert result.code == 0, result.stderr


def test_an_older_crl_than_one_imported_is_refused(
    cli: CliRunner, attacked: Path, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    assert (
        cli("crl", "import", REVOKED / "with-crl/northwind-ca.crl", "--state-dir", state).code == 0
    )
    result, report = decide(cli, attacked, "--state-dir", state)
    assert result.code == 1
    assert "signer certificate revoked on 2026-05-01T00:00:00Z (keyCompromise; CRL state:" in (
        problem(report)
    )
    # Importing the older one afterwards is refused too, and keeps nothing.
    refused = cli("crl", "import", attacked / "northwind-ca.crl", "--state-dir", state)
    assert refused.code == 1
    assert refused.stderr.startswith(
        f"FAIL: {attacked / 'northwind-ca.crl'}: CRL older than one already seen: number 1, "
        "thisUpdate 2026-04-01T00:00:00Z, the state directory holds state:"
    )
    assert len(list((state / "crls").glob("*.crl"))) == 1


def test_admit_remembers_the_crls_a_delivery_carried(
    cli: CliRunner, attacked: Path, tmp_path: Path
) -> None:
    """The current CRL came with an earlier (legitimate) delivery; the attacker's delivery
    ships the older one: the gate has seen the newer, so the revocation stands."""
    state = tmp_path / "state"
    state.mkdir()
    generate_key(state / "site.key", "ed25519")
    admitted = cli(
        "admit", DELIVERY / "rtu-firmware-7.1.0.bin", "--policy", POLICY, "--segment", L1,
        "--state-dir", state,
    )  # fmt: skip
    assert admitted.code == 0, admitted.stderr
    assert len(list((state / "crls").glob("*.crl"))) == 2  # the issuing CA's and the root's
    result, report = decide(cli, attacked, "--state-dir", state)
    assert result.code == 1
    assert "(keyCompromise; CRL state:" in problem(report)


def test_crl_import_errors(cli: CliRunner, tmp_path: Path) -> None:
    junk = tmp_path / "junk.crl"
    junk.write_bytes(b"\x30\x03\x02\x01\x00")
    result = cli("crl", "import", junk, "--state-dir", tmp_path / "state")
    assert result.code == 2
    assert result.stderr == (
        f"error: {junk}: expected a PEM or DER X.509 CRL, got data that does not parse as one\n"
    )
    missing = cli("crl", "import", tmp_path / "missing.crl", "--state-dir", tmp_path / "state")
    assert missing.code == 2
    assert missing.stderr.startswith(f"error: {tmp_path / 'missing.crl'}: cannot read CRL")
