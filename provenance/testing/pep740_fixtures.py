"""Write the minted PEP 740 test set: `python -m provenance.testing.pep740_fixtures --out DIR`.

Two private instances stand in for Sigstore production (PyPI) and staging (TestPyPI). One
vendor's release, `acme_plc_tools` 2.1.0, is published three ways, as PyPI would show it:

- the wheel by a GitHub workflow: a publish attestation, an SLSA provenance attestation, and
  the Integrity API provenance object holding both;
- the sdist by a GitLab pipeline: a publish attestation and a provenance object holding it;
- a platform wheel (two platform tags) by a Google service account;
- the wheel again on the staging instance (TestPyPI), same publisher.

Everything is derived from fixed seeds and times, so the files are byte-identical on every
run (`--check` compares a fresh run with DIR). Test-only.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from provenance.testing.instance import PrivateSigstoreInstance
from provenance.testing.pep740 import (
    SLSA_PROVENANCE_V1,
    GitHubWorkflowRun,
    GitLabPipeline,
    GoogleServiceAccount,
    attestation_json,
    mint_attestation,
    provenance_object,
)

__all__ = [
    "GITHUB",
    "GITLAB",
    "GOOGLE",
    "PLATFORM_WHEEL",
    "SDIST",
    "SIGNED_AT",
    "WHEEL",
    "production_instance",
    "staging_instance",
    "write_fixtures",
]

SIGNED_AT = datetime(2026, 2, 16, 14, 5, tzinfo=UTC)
WHEEL = "acme_plc_tools-2.1.0-py3-none-any.whl"
SDIST = "acme_plc_tools-2.1.0.tar.gz"
PLATFORM_WHEEL = "acme_plc_tools-2.1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
GITHUB = GitHubWorkflowRun("acme-automation/plc-tools", "release.yml")
GITLAB = GitLabPipeline("acme-automation/ot/plc-tools")
GOOGLE = GoogleServiceAccount("release@acme-plc-tools.iam.gserviceaccount.com")


def production_instance() -> PrivateSigstoreInstance:
    return PrivateSigstoreInstance.create(seed="pep740 fixtures: production", origin="rekor.test")


def staging_instance() -> PrivateSigstoreInstance:
    return PrivateSigstoreInstance.create(
        seed="pep740 fixtures: staging", origin="rekor.staging.test"
    )


def _distribution(filename: str) -> bytes:
    # Not a real archive: only the bytes' digest and the file's name are attested.
    return f"{filename}: acme PLC tools 2.1.0\n".encode() * 64


def _slsa_predicate() -> dict[str, Any]:
    """The shape GitHub's attest-build-provenance writes (SLSA v1, GitHub Actions build)."""
    return {
        "buildDefinition": {
            "buildType": "https://actions.github.io/buildtypes/workflow/v1",
            "externalParameters": {
                "workflow": {
                    "path": f".github/workflows/{GITHUB.workflow}",
                    "ref": GITHUB.ref,
                    "repository": f"https://github.com/{GITHUB.repository}",
                }
            },
            "internalParameters": {"github": {"event_name": "push"}},
            "resolvedDependencies": [
                {
                    "digest": {"gitCommit": GITHUB.sha},
                    "uri": f"git+https://github.com/{GITHUB.repository}@{GITHUB.ref}",
                }
            ],
        },
        "runDetails": {
            "builder": {"id": "https://github.com/actions/runner/github-hosted"},
            "metadata": {
                "invocationId": f"https://github.com/{GITHUB.repository}/actions/runs/1/attempts/1"
            },
        },
    }


def write_fixtures(out: Path) -> list[Path]:
    """Write the set into `out` (created if missing); returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    production, staging = production_instance(), staging_instance()
    files: dict[str, str | bytes] = {
        "trusted_root.json": production.trusted_root_json(),
        "staging_trusted_root.json": staging.trusted_root_json(),
    }
    for name in (WHEEL, SDIST, PLATFORM_WHEEL):
        files[name] = _distribution(name)

    wheel = _distribution(WHEEL)
    publish = mint_attestation(production, wheel, WHEEL, publisher=GITHUB, signed_at=SIGNED_AT)
    slsa = mint_attestation(
        production,
        wheel,
        WHEEL,
        publisher=GITHUB,
        signed_at=SIGNED_AT,
        predicate_type=SLSA_PROVENANCE_V1,
        predicate=_slsa_predicate(),
    )
    files[f"{WHEEL}.publish.attestation"] = attestation_json(publish)
    files[f"{WHEEL}.slsa.attestation"] = attestation_json(slsa)
    files[f"{WHEEL}.provenance"] = attestation_json(provenance_object(GITHUB, [publish, slsa]))
    files[f"{WHEEL}.staging.publish.attestation"] = attestation_json(
        mint_attestation(staging, wheel, WHEEL, publisher=GITHUB, signed_at=SIGNED_AT)
    )

    sdist = mint_attestation(
        production, _distribution(SDIST), SDIST, publisher=GITLAB, signed_at=SIGNED_AT
    )
    files[f"{SDIST}.publish.attestation"] = attestation_json(sdist)
    files[f"{SDIST}.provenance"] = attestation_json(provenance_object(GITLAB, [sdist]))

    files[f"{PLATFORM_WHEEL}.publish.attestation"] = attestation_json(
        mint_attestation(
            production,
            _distribution(PLATFORM_WHEEL),
            PLATFORM_WHEEL,
            publisher=GOOGLE,
            signed_at=SIGNED_AT,
        )
    )
    written = []
    for name, content in sorted(files.items()):
        path = out / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        written.append(path)
    return written


def _differences(expected: Path) -> list[str]:
    with tempfile.TemporaryDirectory() as scratch:
        fresh = Path(scratch)
        names = {p.name for p in write_fixtures(fresh)}
        present = {p.name for p in expected.iterdir() if p.is_file() and p.name != "README.md"}
        problems = [f"missing: {name}" for name in sorted(names - present)]
        problems += [f"not generated: {name}" for name in sorted(present - names)]
        problems += [
            f"differs: {name}"
            for name in sorted(names & present)
            if (fresh / name).read_bytes() != (expected / name).read_bytes()
        ]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="the folder to write")
    parser.add_argument(
        "--check", action="store_true", help="compare a fresh run with --out instead"
    )
    args = parser.parse_args(argv)
    if args.check:
        problems = _differences(args.out)
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    write_fixtures(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
