"""One fuzzing target per parser and verification entry point, on the paths the product takes.

A target takes bytes and calls the code an attacker's file reaches: the parser, or the whole
`examine` (verification into facts, identification) where evidence is verified, or
`open_delivery` for archives. Exceptions of the project's root (`ProvenanceError`) are the
expected answer to a bad input; so are the few documented non-root errors a caller converts
(`expected`). Anything else escaping a target is a bug: the smoke test and the campaign
(`python -m tests.fuzz`) report it with the input that caused it.

Seeds come from the fixtures and, where present, ../shared/corpora and ../shared/vulndata.
"""

from __future__ import annotations

import functools
import io
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from provenance.commands.evaluation import GateInputs, examine
from provenance.commands.verify import verify
from provenance.evidence.checksum_list import parse_checksum_list
from provenance.evidence.in_toto import parse_statement
from provenance.evidence.in_toto_metadata import parse_layout, parse_link, parse_metadata
from provenance.evidence.json_input import MalformedJson, load_json
from provenance.evidence.npm_attestations import NpmPackage
from provenance.evidence.sbom import parse_sbom
from provenance.evidence.sbom.vex import parse_vex
from provenance.inputs.artifact import Artifact, sha256_file
from provenance.inputs.delivery import open_delivery
from provenance.inputs.documents import EvidenceDocument
from provenance.policy import lint_policy, load_policy
from provenance.verification.evidence_set import DELIVERY_RECOGNITION
from provenance.verification.npm import verify_npm_attestations
from provenance.verification.sigstore.trust_root import load_trust_root, parse_trust_root
from provenance.verification.sigstore.verifier import NamedSigner
from provenance.verification.trusted_publishers import GitHubPublisher, TrustedPublisher
from provenance.vulnerabilities.csaf_products import parse_csaf
from provenance.vulnerabilities.kev import parse_kev
from provenance.vulnerabilities.osv_records import InvalidRecord, load_document, parse_record

__all__ = ["TARGETS", "Target"]

ROOT = Path(__file__).parents[2]
FIXTURES = ROOT / "fixtures"
SHARED = ROOT.parent / "shared"
ACME = FIXTURES / "acme-delivery"
NORTHWIND = FIXTURES / "northwind-delivery"
NOW = datetime(2026, 6, 10, tzinfo=UTC)
# Seeds larger than this are left out: a fuzzer's throughput falls with input size.
MAX_SEED_BYTES = 256 * 1024


@dataclass(frozen=True)
class Target:
    name: str
    run: Callable[[bytes], object]
    seed_paths: Callable[[], Sequence[Path]]
    # Documented errors outside the root that the caller of this entry point converts.
    expected: tuple[type[Exception], ...] = ()
    # How inputs are mutated beyond bytes (see `mutate`): "json", "der", "text", "archive".
    shape: str = "bytes"
    notes: tuple[str, ...] = field(default=())

    def seeds(self) -> list[bytes]:
        found = [p.read_bytes() for p in self.seed_paths() if p.is_file()]
        return [data for data in found if len(data) <= MAX_SEED_BYTES] or [b""]


def _glob(folder: Path, pattern: str, limit: int = 12) -> list[Path]:
    return sorted(folder.glob(pattern))[:limit] if folder.is_dir() else []


# -- gate inputs, loaded once per process -------------------------------------------------------


@functools.cache
def _gate(policy: Path) -> GateInputs:
    return GateInputs.from_policy(load_policy(policy))


@functools.cache
def _scratch() -> Path:
    return Path(tempfile.mkdtemp(prefix="provenance-fuzz-"))


def _examine(policy: Path, artifact: Path, evidence: Sequence[Path | EvidenceDocument]) -> None:
    examine(
        _gate(policy),
        Artifact(artifact.name, sha256_file(artifact), artifact),
        evidence,
        now=NOW,
        segment="level3-operations",
    )


def _beside(name: str, data: bytes, companions: Sequence[Path]) -> Path:
    """`data` written as `name` in a fresh folder holding copies of `companions`."""
    folder = Path(tempfile.mkdtemp(dir=_scratch()))
    for path in companions:
        (folder / path.name).write_bytes(path.read_bytes())
    target = folder / name
    target.write_bytes(data)
    return target


# -- targets -------------------------------------------------------------------------------------


def _bundle(data: bytes) -> None:
    firmware = ACME / "plc-firmware-4.2.1.bin"
    _examine(ACME / "policy.yaml", firmware, [EvidenceDocument("fuzz.sigstore.json", data)])


def _envelope(data: bytes) -> None:
    firmware = ACME / "plc-firmware-4.2.1.bin"
    _examine(ACME / "policy.yaml", firmware, [EvidenceDocument("fuzz.intoto.json", data)])


def _statement(data: bytes) -> None:
    parse_statement(data)


def _in_toto_metadata(data: bytes) -> None:
    metadata = parse_metadata(data, "fuzz.link")
    if metadata.signed.get("_type") == "layout":
        parse_layout(metadata)
    else:
        parse_link(metadata)


def _cms(data: bytes) -> None:
    firmware = NORTHWIND / "rtu-firmware-7.1.0.bin"
    signature = _beside(firmware.name + ".p7s", data, [firmware, *NORTHWIND.glob("*.crl")])
    _examine(NORTHWIND / "policy.yaml", signature.with_suffix(""), [signature])


def _openpgp(data: bytes) -> None:
    listed = NORTHWIND / "io-module-firmware-2.4.0.bin"
    signature = _beside("SHA256SUMS.asc", data, [listed, NORTHWIND / "SHA256SUMS"])
    _examine(NORTHWIND / "policy.yaml", signature.parent / listed.name, [signature])


def _authenticode(data: bytes) -> None:
    installer = _beside("hmi-config-tool-3.2.exe", data, list(NORTHWIND.glob("*.crl")))
    _examine(NORTHWIND / "policy.yaml", installer, [])


def _archive(suffix: str) -> Callable[[bytes], None]:
    def run(data: bytes) -> None:
        folder = Path(tempfile.mkdtemp(dir=_scratch()))
        archive = folder / f"delivery{suffix}"
        archive.write_bytes(data)
        (folder / "out").mkdir()
        open_delivery(archive, folder / "out", recognition=DELIVERY_RECOGNITION)

    return run


def _policy(data: bytes) -> None:
    path = _beside("policy.yaml", data, [])
    for key in (ACME / "keys").iterdir():
        (path.parent / "keys").mkdir(exist_ok=True)
        (path.parent / "keys" / key.name).write_bytes(key.read_bytes())
    lint_policy(path)


def _osv(data: bytes) -> None:
    parse_record(load_document(data, "fuzz.json"))


def _osv_yaml(data: bytes) -> None:
    parse_record(load_document(data, "fuzz.yaml"))


def _json_then(parse: Callable[[object, str], object]) -> Callable[[bytes], None]:
    def run(data: bytes) -> None:
        parse(load_json(data), "fuzz.json")

    return run


PEP740 = ROOT / "tests/data/pep740/minted"
PEP740_WHEEL = "acme_plc_tools-2.1.0-py3-none-any.whl"
NPM_REAL = ROOT / "tests/data/npm/slsa-verifier"


def _pep740(data: bytes) -> None:
    """`verify --bundle` on an attestation file: recognised, converted, verified."""
    path = _beside("fuzz.publish.attestation", data, [])
    verify(
        str(PEP740 / PEP740_WHEEL),
        signers=[
            NamedSigner(
                TrustedPublisher(GitHubPublisher("acme-automation/plc-tools", "release.yml"))
            )
        ],
        bundle=path,
        trust_roots=[load_trust_root(str(PEP740 / "trusted_root.json"))],
        clock=lambda: NOW,
    )


def _npm(data: bytes) -> None:
    """The registry's attestations about a tarball (the firmware stands in for it)."""
    path = _beside("attestations.json", data, [])
    firmware = ACME / "plc-firmware-4.2.1.bin"
    verify_npm_attestations(
        path,
        Artifact(firmware.name, sha256_file(firmware), firmware),
        package=NpmPackage("gundam-visor", "1.0.1"),
        registry_keys=(),
        signers=[],
        trust_roots=[load_trust_root("embedded:production")],
        now=NOW,
    )


def _zip_seed() -> list[Path]:
    return [FIXTURES / "deliveries" / "acme-2026-06.zip"]


@functools.cache
def _tar_seed() -> Path:
    """A small tar of the northwind delivery (made once; tar seeds are not in the fixtures)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for path in [*sorted(NORTHWIND.glob("*.bin"))[:1], NORTHWIND / "SHA256SUMS"]:
            archive.add(path, arcname=f"northwind/{path.name}")
    seed = _scratch() / "seed.tar"
    seed.write_bytes(buffer.getvalue())
    return seed


def _small_zip_seed() -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a/SHA256SUMS", (NORTHWIND / "SHA256SUMS").read_bytes())
        archive.writestr("a/notes.txt", b"release notes\n")
    seed = _scratch() / "seed.zip"
    seed.write_bytes(buffer.getvalue())
    return seed


CONFORMANCE = SHARED / "corpora" / "sigstore-conformance" / "test" / "assets" / "bundle-verify"
CYCLONEDX = SHARED / "corpora" / "cyclonedx-specification" / "tools" / "src" / "test" / "resources"
IN_TOTO = SHARED / "corpora" / "in-toto" / "tests"
VULNDATA = SHARED / "vulndata"

TARGETS: dict[str, Target] = {
    target.name: target
    for target in (
        Target(
            "bundle",
            _bundle,
            lambda: [
                *_glob(ACME, "*.sigstore.json"),
                *_glob(CONFORMANCE, "*/bundle.sigstore.json"),
            ],
            shape="json",
        ),
        Target("dsse-envelope", _envelope, lambda: _glob(ACME, "*.approval-*.json"), shape="json"),
        Target(
            "in-toto-statement",
            _statement,
            lambda: _glob(SHARED / "corpora/in-toto-attestation/examples", "**/*.json"),
            shape="json",
        ),
        Target(
            "in-toto-metadata",
            _in_toto_metadata,
            lambda: [
                *_glob(ACME, "*.link"),
                *_glob(ACME, "*.layout"),
                *_glob(IN_TOTO, "demo_files/*.link"),
            ],
            shape="json",
        ),
        Target(
            "sbom-json",
            lambda data: parse_sbom(data, "fuzz.cdx.json"),
            lambda: [
                *_glob(FIXTURES / "sboms", "*.json"),
                *_glob(CYCLONEDX / "1.6", "valid-*.json", 8),
                *_glob(CYCLONEDX / "1.4", "valid-*.json", 4),
            ],
            shape="json",
        ),
        Target(
            "sbom-xml",
            lambda data: parse_sbom(data, "fuzz.cdx.xml"),
            lambda: _glob(CYCLONEDX / "1.6", "valid-*.xml", 8),
            shape="text",
        ),
        Target(
            "spdx",
            lambda data: parse_sbom(data, "fuzz.spdx.json"),
            lambda: [ROOT / "tests/fuzz/seeds/plc.spdx.json"],
            shape="json",
        ),
        Target(
            "vex",
            lambda data: parse_vex(data, "fuzz.vex.json"),
            lambda: [*_glob(ACME, "*.vex.json"), *_glob(CYCLONEDX / "1.4", "valid-vulnerability*")],
            shape="json",
        ),
        Target(
            "checksum-list",
            lambda data: parse_checksum_list(data, "SHA256SUMS"),
            lambda: [NORTHWIND / "SHA256SUMS"],
            shape="text",
        ),
        Target("cms", _cms, lambda: _glob(NORTHWIND, "*.p7s"), shape="der"),
        Target("openpgp", _openpgp, lambda: [NORTHWIND / "SHA256SUMS.asc"], shape="text"),
        Target("authenticode", _authenticode, lambda: [NORTHWIND / "hmi-config-tool-3.2.exe"]),
        Target(
            "osv",
            _osv,
            lambda: _glob(VULNDATA / "osv/go/data/osv", "*.json", 12),
            expected=(InvalidRecord,),
            shape="json",
        ),
        Target(
            "osv-yaml",
            _osv_yaml,
            lambda: _glob(VULNDATA / "osv/pypi-subset", "**/*.yaml", 12),
            expected=(InvalidRecord,),
            shape="text",
        ),
        Target(
            "kev",
            _json_then(parse_kev),
            lambda: [ROOT / "tests/fuzz/seeds/kev.json"],
            expected=(MalformedJson,),
            shape="json",
        ),
        Target(
            "csaf",
            _json_then(parse_csaf),
            lambda: _glob(VULNDATA / "csaf/cisa-ot", "**/*.json", 6),
            expected=(MalformedJson,),
            shape="json",
        ),
        Target(
            "policy",
            _policy,
            lambda: [ACME / "policy.yaml", NORTHWIND / "policy.yaml"],
            shape="text",
        ),
        Target(
            "trust-root",
            lambda data: parse_trust_root(data, "fuzz.json"),
            lambda: [ACME / "trusted_root.json"],
            shape="json",
        ),
        Target(
            "pep740-attestation",
            _pep740,
            lambda: [*_glob(PEP740, "*.attestation"), *_glob(PEP740, "*.provenance")],
            shape="json",
        ),
        Target("npm-attestations", _npm, lambda: _glob(NPM_REAL, "*.json"), shape="json"),
        Target("zip", _archive(".zip"), lambda: [_small_zip_seed(), *_zip_seed()], shape="archive"),
        Target("tar", _archive(".tar"), lambda: [_tar_seed()], shape="archive"),
    )
}
