"""`provenance sbom check` against cyclonedx-python-lib on the same generated SBOMs.

For each size: a CycloneDX 1.6 JSON SBOM (each component with bom-ref, supplier, purl, a
SHA-256, a licence; a dependency entry each) is generated; then, each in its own process so
peak memory (ru_maxrss) is its own:
- ours: `check_sbom` (strict parse, schema validation with formats, model, binding, the
  sbom/components/licenses rules of a policy), CPU time and peak RSS above that of checking
  a 10-component SBOM (start-up), relative to the file size;
- the reference: cyclonedx-python-lib `JsonStrictValidator(SchemaVersion.V1_6)` then
  `Bom.from_json`, at 1,000 components only (5,000 took 105-114 s of CPU here), alternating
  with ours on the same file.
Target: 50,000 components in < 1 s CPU (median), memory linear and < 10x the file size
from 10,000 components. The ratio is reference / ours (times faster).
"""

from __future__ import annotations

import hashlib
import json
import statistics
import sys
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from benchmarks.harness import Context, Row, Stat, ratio_text, run_process

POLICY = """\
version: 1
vendors:
  acme-automation:
    signers: [{key: acme.pub}]
    products: ["pkg:generic/acme/plc-firmware"]
segments:
  level3:
    require:
      sbom: {bound: named, minimum_elements: ntia-2021}
      components:
        deny: ["pkg:npm/event-stream@3.3.6", {supplier: "Blocked Corp"}]
      licenses: {allow: [MIT, Apache-2.0], deny: [AGPL-3.0-only]}
"""
DIGEST = "00" * 32


def generate(count: int) -> dict[str, Any]:
    components = [
        {
            "type": "library",
            "bom-ref": f"pkg:npm/lib{i}@1.{i % 10}.0",
            "supplier": {"name": f"Vendor {i % 50}"},
            "name": f"lib{i}",
            "version": f"1.{i % 10}.0",
            "purl": f"pkg:npm/lib{i}@1.{i % 10}.0",
            "hashes": [{"alg": "SHA-256", "content": hashlib.sha256(str(i).encode()).hexdigest()}],
            "licenses": [{"license": {"id": "MIT"}}]
            if i % 3
            else [{"expression": "Apache-2.0 OR MIT"}],
        }
        for i in range(count)
    ]
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
        "version": 1,
        "metadata": {
            "timestamp": "2026-01-01T00:00:00Z",
            "authors": [{"name": "ACME"}],
            "component": {
                "type": "firmware",
                "name": "plc",
                "version": "4.2.1",
                "hashes": [{"alg": "SHA-256", "content": DIGEST}],
            },
        },
        "components": components,
        "dependencies": [
            {"ref": c["bom-ref"], "dependsOn": [components[(i + 1) % count]["bom-ref"]]}
            for i, c in enumerate(components)
        ],
    }


OURS = """
import resource, sys, time
from pathlib import Path
from provenance.commands.sbom_check import check_sbom
start = time.process_time()
result = check_sbom(Path(sys.argv[1]), policy=Path(sys.argv[2]), segment="level3",
                    artifact="sha256:" + "00" * 32)
cpu = time.process_time() - start
assert result.passed, result.reason
print(cpu, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

REFERENCE = """
import resource, sys, time
from pathlib import Path
from cyclonedx.model.bom import Bom
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
text = Path(sys.argv[1]).read_text()
start = time.process_time()
error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
assert error is None, error
Bom.from_json(__import__("json").loads(text))
cpu = time.process_time() - start
print(cpu, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _run(context: Context, script: str, *args: str) -> tuple[float, int]:
    """(CPU seconds inside the process, peak RSS bytes) of one run of `script`."""
    output = context.scratch / "sbom-output.txt"
    run_process([sys.executable, "-c", script, *args], context, output=output)
    cpu, rss = output.read_text().split()
    return float(cpu), int(rss) * 1024


def _baseline(context: Context, folder: Path, policy: Path) -> int:
    """Peak RSS of a check of a 10-component SBOM: start-up and every module the check loads
    (some only as it runs), subtracted so that what is left grows with the file."""
    return _run(context, OURS, _write(folder, 10)[0], str(policy))[1]


# (components, runs of ours); the reference runs beside ours at REFERENCE_SIZE only.
SIZES = ((1000, 3), (10_000, 3), (50_000, 5), (200_000, 1))
REFERENCE_SIZE = 1000
TARGET_SIZE, TARGET_CPU, MEMORY_TARGET = 50_000, 1.0, 10.0


def benchmark(context: Context) -> list[Row]:
    folder = context.folder("sbom")
    key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(32)).public_key()
    (folder / "acme.pub").write_bytes(
        key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    policy = folder / "policy.yaml"
    policy.write_text(POLICY)
    _run(context, OURS, _write(folder, 100)[0], str(policy))  # warm-up: the bytecode cache
    baseline = _baseline(context, folder, policy)
    rows = []
    for size, runs in SIZES:
        sbom, file_size = _write(folder, size)
        ours: list[float] = []
        theirs: list[float] = []
        peaks: list[int] = []
        for _ in range(runs):
            cpu, rss = _run(context, OURS, sbom, str(policy))
            ours.append(cpu)
            peaks.append(rss)
            if size == REFERENCE_SIZE:
                theirs.append(_run(context, REFERENCE, sbom)[0])
        grown = max(min(peaks) - baseline, 0) / file_size
        memory = f"memory above start-up {grown:.1f}x the file"
        if size == TARGET_SIZE:
            target, met = f"< {TARGET_CPU:.0f} s CPU", statistics.median(ours) < TARGET_CPU
        elif size >= 10_000:
            target, met = f"memory < {MEMORY_TARGET:.0f}x file", grown < MEMORY_TARGET
        else:
            target, met = "", None
        rows.append(
            Row(
                f"`sbom check` of {size:,} components ({file_size / 1e6:.1f} MB), CPU in "
                f"process, {runs} run{'s' if runs > 1 else ''}; {memory}"
                + ("; reference: cyclonedx-python-lib validate + model" if theirs else ""),
                Stat.of(ours).seconds(),
                Stat.of(theirs).seconds() if theirs else "",
                ratio_text([b / a for a, b in zip(ours, theirs, strict=True)], 0, "x")
                if theirs
                else "",
                target,
                met,
            )
        )
    return rows


def _write(folder: Path, size: int) -> tuple[str, int]:
    sbom = folder / f"bom-{size}.json"
    sbom.write_text(json.dumps(generate(size)))
    return str(sbom), sbom.stat().st_size
