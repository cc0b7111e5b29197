"""Every crash a clear error: the seven root causes the fuzzing campaign found, each through
the CLI (one line, exit 1 for evidence, exit 2 for a policy or an unusable input, never a
traceback), the CLI's internal-error path, and the deterministic fuzzing smoke run.

Inputs the fuzzer found are kept in tests/data/fuzz-regressions (mutated fixtures).
"""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from provenance.verification import evidence_set
from tests.conftest import CliRunner
from tests.fuzz.runner import smoke
from tests.fuzz.targets import TARGETS

ROOT = Path(__file__).parents[1]
ACME = ROOT / "fixtures/acme-delivery"
NORTHWIND = ROOT / "fixtures/northwind-delivery"
FOUND = Path(__file__).parent / "data/fuzz-regressions"


def one_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


@pytest.fixture
def northwind(tmp_path: Path) -> Path:
    folder = tmp_path / "northwind"
    shutil.copytree(NORTHWIND, folder)
    return folder


@pytest.fixture
def acme(tmp_path: Path) -> Path:
    folder = tmp_path / "acme"
    shutil.copytree(ACME, folder)
    return folder


# 1. A lone surrogate is refused where JSON is read, not where the string is later encoded.


def test_a_lone_surrogate_in_an_approval_envelope_is_malformed_evidence(
    cli: CliRunner, acme: Path
) -> None:
    approval = acme / "plc-firmware-4.2.1.bin.approval-alice.json"
    envelope = json.loads(approval.read_text())
    approval.write_text(json.dumps(envelope).replace('"payloadType": "', '"payloadType": "\\udcff'))
    result = cli(
        "verify", acme / "plc-firmware-4.2.1.bin", "--policy", acme / "policy.yaml",
        "--segment", "level1-controllers", "--format", "json",
    )  # fmt: skip
    assert result.code == 1
    assert "Traceback" not in result.stderr
    problems = {p["source"]: p["reason"] for p in json.loads(result.stdout)["evidence"]["problems"]}
    assert problems[str(approval)] == (
        "not recognised as evidence (expected a Sigstore bundle, a DSSE envelope or a .jsonl of "
        "them; not JSON: lone leading surrogate in hex escape at line 1 column 23)"
    )


def test_a_lone_surrogate_in_vulnerability_data_refuses_that_file_only(
    cli: CliRunner, tmp_path: Path
) -> None:
    data = tmp_path / "osv"
    data.mkdir()
    good = {"id": "GO-1", "modified": "2026-01-01T00:00:00Z", "summary": "fine"}
    (data / "good.json").write_text(json.dumps(good))
    (data / "bad.json").write_text(json.dumps(good | {"id": "GO-2"}).replace("fine", "\\udcff"))
    result = cli("vulndb", "import", data, "--state-dir", tmp_path / "state")
    assert result.code == 1
    assert "Traceback" not in result.stderr
    assert f"refused: {data / 'bad.json'}: expected JSON, got lone leading surrogate" in (
        result.stdout
    )
    assert "1 added" in result.stderr


# 2. Damaged CMS SignedData: asn1crypto's AttributeError and IndexError, and a nested
#    Authenticode signature read lazily.


@pytest.mark.parametrize("name", ["cms-attribute-error.p7s", "cms-index-error.p7s"])
def test_damaged_cms_is_malformed_evidence(cli: CliRunner, northwind: Path, name: str) -> None:
    shutil.copy(FOUND / name, northwind / "rtu-firmware-7.1.0.bin.p7s")
    result = cli(
        "verify", northwind / "rtu-firmware-7.1.0.bin", "--policy", northwind / "policy.yaml",
        "--segment", "level1-controllers",
    )  # fmt: skip
    assert result.code == 1
    assert "truncated or malformed DER" in one_line(result.stderr)


def test_a_damaged_nested_authenticode_signature_is_malformed_evidence(
    cli: CliRunner, northwind: Path
) -> None:
    shutil.copy(FOUND / "authenticode-nested-signature.exe", northwind / "hmi-config-tool-3.2.exe")
    result = cli(
        "verify", northwind / "hmi-config-tool-3.2.exe", "--policy", northwind / "policy.yaml",
        "--segment", "engineering-workstations", "--format", "json",
    )  # fmt: skip
    assert result.code == 1
    assert "Traceback" not in result.stderr
    reasons = [p["reason"] for p in json.loads(result.stdout)["evidence"]["problems"]]
    assert any("Authenticode nested signature: truncated or malformed DER" in r for r in reasons)


# 3. OpenPGP: pysequoia's RuntimeError for a packet it has no name for.


def test_an_unknown_openpgp_packet_is_malformed_evidence(cli: CliRunner, northwind: Path) -> None:
    shutil.copy(FOUND / "openpgp-unknown-packet.asc", northwind / "SHA256SUMS.asc")
    (northwind / "SHA256SUMS.p7s").unlink()
    result = cli(
        "verify", northwind / "io-module-firmware-2.4.0.bin", "--policy",
        northwind / "policy.yaml", "--segment", "level3-operations", "--format", "json",
    )  # fmt: skip
    assert result.code == 1
    assert "Traceback" not in result.stderr
    reasons = {p["source"]: p["reason"] for p in json.loads(result.stdout)["evidence"]["problems"]}
    assert "unparsable data: Unknown packet tag: 15" in reasons[str(northwind / "SHA256SUMS.asc")]


# 4. X.509: a name attribute of BitString type under another OID (cryptography's TypeError).


def _bitstring_common_name_root() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    unique = x509.NameAttribute(
        NameOID.X500_UNIQUE_IDENTIFIER, b"\x00\x01", _type=x509.name._ASN1Type.BitString
    )
    name = x509.Name([unique])
    start = datetime(2026, 1, 1, tzinfo=UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    der = certificate.public_bytes(Encoding.DER)
    # The same attribute under commonName (2.5.4.3), which must be a string type.
    return der.replace(b"\x06\x03\x55\x04\x2d", b"\x06\x03\x55\x04\x03")


def test_a_bitstring_common_name_in_a_pinned_root_is_a_policy_error(
    cli: CliRunner, northwind: Path
) -> None:
    (northwind / "certs/northwind-root-ca.pem").write_bytes(_bitstring_common_name_root())
    result = cli("policy", "lint", northwind / "policy.yaml")
    assert result.code == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert "certs/northwind-root-ca.pem" in result.stdout
    verified = cli(
        "verify", northwind / "rtu-firmware-7.1.0.bin", "--policy", northwind / "policy.yaml",
        "--segment", "level1-controllers",
    )  # fmt: skip
    assert verified.code == 2
    assert one_line(verified.stderr).endswith(
        "expected PEM or DER X.509 root certificate, got data that does not parse as "
        "certificates (or holds a key of an unsupported type)"
    )


# 5. CycloneDX 1.4 VEX whose affects/references items are strings, not objects.


def test_a_cyclonedx_14_vex_with_string_items_refuses_those_statements(
    cli: CliRunner, acme: Path
) -> None:
    vex = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.4",
        "version": 1,
        "vulnerabilities": [
            {
                "id": "CVE-2024-10918",
                "analysis": {"state": "not_affected", "justification": "code_not_reachable"},
                "affects": ["pkg:github/stephane/libmodbus@3.1.10"],
                "references": ["GHSA-xxxx"],
            }
        ],
    }
    (acme / "plc-firmware-4.2.1.bin.vex.json").write_text(json.dumps(vex))
    result = cli(
        "verify", acme / "plc-firmware-4.2.1.bin", "--policy", acme / "policy.yaml",
        "--segment", "level3-operations", "--format", "json",
    )  # fmt: skip
    assert result.code == 0, result.stderr
    reasons = [p["reason"] for p in json.loads(result.stdout)["evidence"]["problems"]]
    assert reasons == [
        "vulnerabilities[0]: CVE-2024-10918: expected affects entries with a ref, got "
        "['pkg:github/stephane/libmodbus@3.1.10']"
    ]


# 6. Zip member names flagged UTF-8 that are not UTF-8.


def _zip_with_a_bad_utf8_name() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("é.json", b'{"id": "GO-1"}')  # non-ASCII: the UTF-8 flag is set
    data = buffer.getvalue()
    return data.replace("é".encode(), b"\xff\xfe")


def test_a_zip_member_name_that_is_not_utf8_refuses_the_delivery(
    cli: CliRunner, tmp_path: Path
) -> None:
    archive = tmp_path / "delivery.zip"
    archive.write_bytes(_zip_with_a_bad_utf8_name())
    result = cli(
        "vet", archive, "--policy", ACME / "policy.yaml", "--segment", "level3-operations",
    )  # fmt: skip
    assert result.code == 1
    assert one_line(result.stderr) == (
        f"FAIL: {archive}: refused: {archive.name}: not a readable zip archive: a member name "
        "flagged as UTF-8 is not UTF-8"
    )
    imported = cli("vulndb", "import", archive, "--state-dir", tmp_path / "state")
    assert imported.code == 1
    assert (
        f"refused: {archive}: expected a readable zip archive, got a member name flagged as "
        "UTF-8 is not UTF-8"
    ) in imported.stdout


# 7. YAML values PyYAML cannot build: an impossible date, an integer of 5,000 digits.


def test_yaml_values_that_cannot_exist_are_refused(cli: CliRunner, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "version: 1\nvendors:\n  a:\n    signers:\n      - key: k.pub\n    n: " + "9" * 5000 + "\n"
    )
    linted = cli("policy", "lint", policy)
    assert linted.code == 1
    assert linted.stdout.startswith(
        f"{policy}:6:8: error: vendors.a.n: expected an integer of a sensible size, got one of "
        "5000 characters"
    )
    explained = cli("policy", "explain", policy, "--segment", "x")
    assert explained.code == 2
    assert "expected an integer of a sensible size" in one_line(explained.stderr)
    records = tmp_path / "osv"
    records.mkdir()
    (records / "date.yaml").write_text("id: X-1\nmodified: 2026-02-30T00:00:00Z\n")
    (records / "int.yaml").write_text("id: X-2\nmodified: 2026-01-01T00:00:00Z\nn: " + "9" * 5000)
    imported = cli("vulndb", "import", records, "--state-dir", tmp_path / "state")
    assert imported.code == 1
    assert (
        f"refused: {records / 'date.yaml'}: expected YAML values that exist, got an impossible "
        "date (day is out of range for month)"
    ) in imported.stdout
    assert (
        f"refused: {records / 'int.yaml'}: expected YAML values that exist, got an integer of "
        "more than 4,300 digits"
    ) in imported.stdout


# -- the CLI's last line of defence ------------------------------------------------------------


def test_an_internal_error_is_one_line_and_exit_2(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("injected fault")

    monkeypatch.setattr(evidence_set, "_verify", broken)
    result = cli(
        "verify", ACME / "plc-firmware-4.2.1.bin", "--policy", ACME / "policy.yaml",
        "--segment", "level3-operations",
    )  # fmt: skip
    assert result.code == 2
    line = one_line(result.stderr)
    assert line.startswith(f"internal error while verifying {ACME}/plc-firmware-4.2.1.bin")
    assert (
        ": RuntimeError: injected fault (this is a bug; please report it with the traceback "
        in (line)
    )
    saved = Path(line.split("the traceback in ")[1].split(" (or run with --debug")[0])
    assert "Traceback" in saved.read_text()
    assert 'raise RuntimeError("injected fault")' in saved.read_text()
    saved.unlink()

    debug = cli(
        "--debug", "verify", ACME / "plc-firmware-4.2.1.bin", "--policy", ACME / "policy.yaml",
        "--segment", "level3-operations",
    )  # fmt: skip
    assert debug.code == 2
    assert debug.stderr.startswith("Traceback (most recent call last):")
    assert debug.stderr.splitlines()[-1].endswith(
        "RuntimeError: injected fault (this is a bug; please report it with the traceback above)"
    )


# -- the deterministic fuzzing smoke run ---------------------------------------------------------

# Mutations per target: a few thousand where a run takes microseconds, fewer where each input
# is a whole verification (so that the smoke run stays under a minute).
_MUTATIONS = {"bundle": 600, "dsse-envelope": 600, "cms": 150, "authenticode": 150,
              "openpgp": 600, "policy": 200, "zip": 400, "tar": 400, "osv-yaml": 1000,
              "pep740-attestation": 400, "npm-attestations": 300}  # fmt: skip


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_fuzzing_smoke_run_finds_nothing_outside_the_error_root(name: str) -> None:
    crashes = smoke(TARGETS[name], mutations=_MUTATIONS.get(name, 2000))
    assert crashes == [], [f"{c.error} at {c.where}" for c in crashes]
