"""Time `provenance sbom check` against cyclonedx-python-lib on the same generated SBOMs.

    python benchmarks/sbom_check_vs_cyclonedx.py [--sizes 1000,10000,50000,200000]
        [--reference-max 5000]

For each size: a CycloneDX 1.6 JSON SBOM (each component with bom-ref, supplier, purl, a
SHA-256, a licence; a dependency entry each) is generated; then, each in its own process so
peak memory (ru_maxrss) is its own:
- ours: `check_sbom` (strict parse, schema validation with formats, model, binding, the
  sbom/components/licenses rules of a policy), CPU time and peak RSS;
- the reference: cyclonedx-python-lib `JsonStrictValidator(SchemaVersion.V1_6)` then
  `Bom.from_json`, capped at --reference-max components (5,000 took 114 s of CPU here;
  beyond that it
  needs many minutes).
Target: 50,000 components in < 1 s CPU, >= 100x faster than the reference, memory linear and
< 10x the file size. The ratio printed is reference / ours.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

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


def _run(script: str, *args: str) -> tuple[float, int]:
    done = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.exit(done.stderr[-2000:])
    cpu, rss = done.stdout.split()
    return float(cpu), int(rss) * 1024


def _baseline() -> int:
    """Peak RSS of a process that only imports what ours imports (subtracted: per-size cost)."""
    script = "import resource, provenance.commands.sbom_check as m\n"
    script += "print(0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    return _run(script)[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,50000,200000")
    parser.add_argument("--reference-max", type=int, default=5000)
    args = parser.parse_args()
    baseline = _baseline()
    print(f"{'components':>10} {'file MB':>8} {'ours CPU s':>10} {'ours MB':>8} "
          f"{'(MB/file)':>9} {'ref CPU s':>10} {'ref MB':>8} {'ratio':>7}")  # fmt: skip
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(32)).public_key()
        (folder / "acme.pub").write_bytes(
            key.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        (folder / "policy.yaml").write_text(POLICY)
        for size in (int(s) for s in args.sizes.split(",")):
            sbom = folder / f"bom-{size}.json"
            sbom.write_text(json.dumps(generate(size)))
            file_size = sbom.stat().st_size
            cpu, rss = _run(OURS, str(sbom), str(folder / "policy.yaml"))
            grown = max(rss - baseline, 0)
            line = (f"{size:>10} {file_size / 1e6:>8.1f} {cpu:>10.2f} {rss / 1e6:>8.0f} "
                    f"{grown / file_size:>9.1f}")  # fmt: skip
            if size <= args.reference_max:
                ref_cpu, ref_rss = _run(REFERENCE, str(sbom))
                line += f" {ref_cpu:>10.2f} {ref_rss / 1e6:>8.0f} {ref_cpu / cpu:>7.0f}x"
            else:
                line += f" {'(capped)':>10} {'':>8} {'':>7}"
            print(line, flush=True)
    print("MB/file: peak RSS above an import-only process, divided by the file size.")


if __name__ == "__main__":
    main()
