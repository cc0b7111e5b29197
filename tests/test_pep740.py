"""PEP 740 attestations (PyPI) through `provenance verify --bundle`: identity flags, policy
mode with trusted publishers, and the attacks a holder of genuine signed material can try.

Real attestations published on PyPI (tests/data/pep740/pypi-attestations, Sigstore production
and staging, offline against the embedded trust roots) and attestations the private test
instance mints in the same format (tests/data/pep740/minted).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from provenance.evidence.slsa import BuildProvenance
from provenance.inputs.artifact import artifact_from_argument
from provenance.testing.pep740 import (
    GitHubWorkflowRun,
    attestation_json,
    mint_attestation,
    provenance_object,
)
from provenance.testing.pep740_fixtures import (
    GITHUB,
    GITLAB,
    GOOGLE,
    PLATFORM_WHEEL,
    SDIST,
    SIGNED_AT,
    WHEEL,
    production_instance,
    write_fixtures,
)
from provenance.verification.matching import Pattern
from provenance.verification.pep740 import verify_pep740
from provenance.verification.signers import SigstoreIdentity
from provenance.verification.sigstore.trust_root import load_trust_root
from provenance.verification.sigstore.verifier import NamedSigner
from provenance.verification.trusted_publishers import GitHubPublisher, TrustedPublisher
from tests.conftest import CliResult, CliRunner

DATA = Path(__file__).parent / "data" / "pep740"
REAL = DATA / "pypi-attestations"
MINTED = DATA / "minted"

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
SDIST_0019 = "pypi_attestations-0.0.19.tar.gz"
IDENTITY_0019 = (
    "https://github.com/trailofbits/pypi-attestations/.github/workflows/release.yml"
    "@refs/tags/v0.0.19"
)


def assert_ok(result: CliResult, artifact: Path) -> None:
    assert "Traceback" not in result.stderr + result.stdout
    assert result.code == 0, result.stderr
    assert result.stderr == f"OK: {artifact}\n"


def assert_fails(result: CliResult, artifact: Path | str, *fragments: str) -> str:
    """Exit 1 with exactly one verdict line, naming the artifact and the reason."""
    assert "Traceback" not in result.stderr + result.stdout
    assert result.code == 1, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"FAIL: {artifact}: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def identity(who: str = IDENTITY_0019, issuer: str = GITHUB_ISSUER) -> list[str]:
    return ["--certificate-identity", who, "--certificate-oidc-issuer", issuer]


def minted_identity(run: GitHubWorkflowRun = GITHUB) -> list[str]:
    return [
        *identity(run.identity, run.issuer),
        "--trusted-root",
        str(MINTED / "trusted_root.json"),
    ]


def copy_as(source: Path, folder: Path, name: str) -> Path:
    target = folder / name
    shutil.copyfile(source, target)
    return target


def write_policy(folder: Path, signers: str, *, trust: str = "") -> Path:
    policy = folder / "policy.yaml"
    policy.write_text(
        f"version: 1\n{trust}vendors:\n  publisher:\n    signers:\n{signers}"
        "segments:\n  lab:\n    require: {signed_by: [publisher]}\n"
    )
    return policy


# -- real attestations from PyPI -----------------------------------------------------------


@pytest.mark.parametrize("suffix", [".publish.attestation", ".slsa.attestation", ".provenance"])
def test_real_attestations_verify_with_identity_flags(cli: CliRunner, suffix: str) -> None:
    artifact = REAL / SDIST_0019
    result = cli("verify", artifact, "--bundle", REAL / (SDIST_0019 + suffix), *identity())
    assert_ok(result, artifact)
    assert f"signer    {IDENTITY_0019} ({GITHUB_ISSUER})" in result.stdout
    assert f"names the artifact (sha256 and file name '{SDIST_0019}', PEP 740)" in result.stdout
    assert "ok   bundle           PEP 740 attestation as a v0.3 bundle, dsse/0.0.1" in result.stdout
    said = "PyPI names the publisher GitHub (repository=trailofbits/pypi-attestations, "
    assert (said in result.stdout) == (suffix == ".provenance")


def test_real_attestation_for_the_same_bytes_renamed_fails(cli: CliRunner, tmp_path: Path) -> None:
    renamed = copy_as(REAL / SDIST_0019, tmp_path, "pypi_attestations-0.0.20.tar.gz")
    bundle = REAL / (SDIST_0019 + ".publish.attestation")
    result = cli("verify", renamed, "--bundle", bundle, *identity())
    assert_fails(
        result,
        renamed,
        "attestation subject: expected the file name 'pypi_attestations-0.0.20.tar.gz' "
        "(sdist pypi-attestations 0.0.20 (.tar.gz)), got 'pypi_attestations-0.0.19.tar.gz'",
    )


def test_real_attestation_for_other_bytes_under_its_name_fails(
    cli: CliRunner, tmp_path: Path
) -> None:
    impostor = tmp_path / SDIST_0019
    impostor.write_bytes((REAL / SDIST_0019).read_bytes() + b"\0")
    bundle = REAL / (SDIST_0019 + ".publish.attestation")
    result = cli("verify", impostor, "--bundle", bundle, *identity())
    expected = hashlib.sha256(impostor.read_bytes()).hexdigest()
    assert_fails(result, impostor, f"attestation subject: expected sha256 {expected}")


def test_real_attestation_by_another_identity_fails(cli: CliRunner) -> None:
    artifact = REAL / SDIST_0019
    other = IDENTITY_0019.replace("v0.0.19", "v0.0.18")
    bundle = REAL / (SDIST_0019 + ".publish.attestation")
    result = cli("verify", artifact, "--bundle", bundle, *identity(other))
    assert_fails(result, artifact, f"signer: expected identity {other!r}", repr(IDENTITY_0019))


def test_real_production_attestation_fails_under_staging(cli: CliRunner) -> None:
    artifact = REAL / SDIST_0019
    bundle = REAL / (SDIST_0019 + ".publish.attestation")
    result = cli("verify", artifact, "--bundle", bundle, "--staging", *identity())
    assert_fails(result, artifact, "which trust root embedded:staging does not name")


def test_real_staging_attestation_verifies_only_under_staging(cli: CliRunner) -> None:
    wheel = REAL / "rfc8785-0.1.2-py3-none-any.whl"
    bundle = REAL / "rfc8785-0.1.2-py3-none-any.whl.publish.attestation"
    who = identity("william@yossarian.net", "https://github.com/login/oauth")
    assert_ok(cli("verify", wheel, "--bundle", bundle, "--staging", *who), wheel)
    result = cli("verify", wheel, "--bundle", bundle, *who)
    assert_fails(result, wheel, "which trust root embedded:production does not name")


def test_real_attestation_cannot_bind_a_digest(cli: CliRunner) -> None:
    digest = "sha256:" + hashlib.sha256((REAL / SDIST_0019).read_bytes()).hexdigest()
    bundle = REAL / (SDIST_0019 + ".publish.attestation")
    result = cli("verify", digest, "--bundle", bundle, *identity())
    assert_fails(result, digest, "binds a file name", "give the distribution file")


REAL_PUBLISHERS = """\
      - pypi_publisher: {github: {repository: trailofbits/pypi-attestations, workflow: release.yml}}
      - pypi_publisher: {gitlab: {repository: facutuesca/gitlab-oidc-project, workflow_filepath: .gitlab-ci.yml}}
      - pypi_publisher: {google: {email: 919436158236-compute@developer.gserviceaccount.com}}
"""  # noqa: E501


@pytest.mark.parametrize(
    ("artifact", "bundle", "publisher"),
    [
        (SDIST_0019, ".publish.attestation", "GitHub trailofbits/pypi-attestations workflow"),
        (SDIST_0019, ".provenance", "GitHub trailofbits/pypi-attestations workflow"),
        ("gitlab_oidc_project-0.0.3.tar.gz", ".publish.attestation", "GitLab facutuesca/"),
        ("gcb_attestation_test-0.0.0.tar.gz", ".provenance", "Google service account 9194"),
    ],
)
def test_real_attestations_verify_against_trusted_publishers_in_a_policy(
    cli: CliRunner, tmp_path: Path, artifact: str, bundle: str, publisher: str
) -> None:
    policy = write_policy(tmp_path, REAL_PUBLISHERS)
    result = cli(
        "verify", REAL / artifact, "--bundle", REAL / (artifact + bundle), "--policy", policy
    )
    assert_ok(result, REAL / artifact)
    assert f"matches vendor publisher (PyPI trusted publisher {publisher}" in result.stdout


def test_real_attestation_of_another_publisher_fails_the_policy(
    cli: CliRunner, tmp_path: Path
) -> None:
    policy = write_policy(
        tmp_path,
        "      - pypi_publisher: {github: {repository: trailofbits/pypi-attestations, "
        "workflow: publish.yml}}\n",
    )
    artifact = REAL / "gitlab_oidc_project-0.0.3.tar.gz"
    bundle = REAL / "gitlab_oidc_project-0.0.3.tar.gz.publish.attestation"
    assert_fails(
        cli("verify", artifact, "--bundle", bundle, "--policy", policy),
        artifact,
        "signer: expected vendor publisher: PyPI trusted publisher GitHub "
        "trailofbits/pypi-attestations workflow publish.yml",
        "OIDC Issuer (v2): expected https://token.actions.githubusercontent.com, "
        "got 'https://gitlab.com'",
    )
    sdist = REAL / SDIST_0019
    assert_fails(
        cli("verify", sdist, "--bundle", REAL / (SDIST_0019 + ".provenance"), "--policy", policy),
        sdist,
        "Build Config URI: expected https://github.com/trailofbits/pypi-attestations/"
        ".github/workflows/publish.yml@<",
        f"got '{IDENTITY_0019}'",
    )


# -- minted by the private instance, in the same format -------------------------------------


def test_regenerating_the_minted_set_gives_the_committed_files(tmp_path: Path) -> None:
    written = write_fixtures(tmp_path)
    committed = sorted(p.name for p in MINTED.iterdir())
    assert sorted(p.name for p in written) == committed
    for path in written:
        assert path.read_bytes() == (MINTED / path.name).read_bytes(), path.name


def test_minted_attestations_have_pypis_shape() -> None:
    real = json.loads((REAL / (SDIST_0019 + ".publish.attestation")).read_text())
    minted = json.loads((MINTED / (WHEEL + ".publish.attestation")).read_text())

    def shape(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: shape(item) for key, item in value.items()}
        if isinstance(value, list):  # a list's items share one shape; lengths vary
            return [shape(value[0])] if value else []
        return type(value).__name__

    assert shape(minted) == shape(real)
    statement = json.loads(base64.b64decode(minted["envelope"]["statement"]))
    assert list(statement) == ["_type", "subject", "predicateType", "predicate"]


@pytest.mark.parametrize("suffix", [".publish.attestation", ".slsa.attestation"])
def test_minted_wheel_attestations_verify_with_identity_flags(cli: CliRunner, suffix: str) -> None:
    wheel = MINTED / WHEEL
    result = cli("verify", wheel, "--bundle", MINTED / (WHEEL + suffix), *minted_identity())
    assert_ok(result, wheel)
    assert "PEP 740" in result.stdout


def test_minted_provenance_object_with_one_attestation_verifies(cli: CliRunner) -> None:
    sdist = MINTED / SDIST
    result = cli(
        "verify",
        sdist,
        "--bundle",
        MINTED / (SDIST + ".provenance"),
        *identity(GITLAB.identity, GITLAB.issuer),
        "--trusted-root",
        MINTED / "trusted_root.json",
    )
    assert_ok(result, sdist)


def test_provenance_object_with_two_attestations_is_for_the_api_not_verify_bundle(
    cli: CliRunner,
) -> None:
    wheel = MINTED / WHEEL
    result = cli("verify", wheel, "--bundle", MINTED / (WHEEL + ".provenance"), *minted_identity())
    assert_fails(
        result,
        wheel,
        "a PyPI provenance object with 2 attestations "
        "(https://docs.pypi.org/attestations/publish/v1, https://slsa.dev/provenance/v1)",
    )


def test_api_verifies_every_attestation_of_a_provenance_object() -> None:
    wheel = artifact_from_argument(str(MINTED / WHEEL))
    rule = TrustedPublisher(GitHubPublisher(GITHUB.repository, GITHUB.workflow))
    result = verify_pep740(
        MINTED / (WHEEL + ".provenance"),
        wheel,
        signers=[NamedSigner(rule, vendor="acme")],
        trust_roots=[load_trust_root(str(MINTED / "trusted_root.json"))],
        now=datetime(2026, 3, 1, tzinfo=UTC),
    )
    assert result.verified, result.reason
    assert [fact.predicate_type for fact in result.facts] == [
        "https://docs.pypi.org/attestations/publish/v1",
        "https://slsa.dev/provenance/v1",
    ]
    assert all(fact.signature.vendor == "acme" for fact in result.facts)
    assert all(fact.signature.subject_names == (WHEEL,) for fact in result.facts)
    assert isinstance(result.facts[1].claims, BuildProvenance)


def test_api_fails_the_whole_object_when_one_attestation_fails(tmp_path: Path) -> None:
    """Another publisher's rule: each attestation is tried, each fails with its reason."""
    wheel = artifact_from_argument(str(MINTED / WHEEL))
    result = verify_pep740(
        MINTED / (WHEEL + ".provenance"),
        wheel,
        signers=[NamedSigner(SigstoreIdentity(Pattern.exact(GITHUB.identity), Pattern.exact("x")))],
        trust_roots=[load_trust_root(str(MINTED / "trusted_root.json"))],
        now=datetime(2026, 3, 1, tzinfo=UTC),
    )
    assert not result.verified
    assert result.facts == ()
    assert result.reason.count("signer: expected identity") == 2
    assert f"{MINTED / (WHEEL + '.provenance')}#2: " in result.reason


def test_minted_staging_attestation_fails_under_production_and_passes_under_staging(
    cli: CliRunner,
) -> None:
    wheel = MINTED / WHEEL
    bundle = MINTED / (WHEEL + ".staging.publish.attestation")
    who = identity(GITHUB.identity, GITHUB.issuer)
    result = cli("verify", wheel, "--bundle", bundle, *minted_identity())
    assert_fails(result, wheel, "does not name")
    staging = MINTED / "staging_trusted_root.json"
    assert_ok(cli("verify", wheel, "--bundle", bundle, *who, "--trusted-root", staging), wheel)


def test_minted_renamed_wheel_fails_and_tag_order_does_not_matter(
    cli: CliRunner, tmp_path: Path
) -> None:
    bundle = MINTED / (PLATFORM_WHEEL + ".publish.attestation")
    google = [*identity(GOOGLE.identity, GOOGLE.issuer), "--trusted-root"]
    google.append(str(MINTED / "trusted_root.json"))
    reordered = copy_as(
        MINTED / PLATFORM_WHEEL,
        tmp_path,
        "acme_plc_tools-2.1.0-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
    )
    assert_ok(cli("verify", reordered, "--bundle", bundle, *google), reordered)
    other_platform = copy_as(
        MINTED / PLATFORM_WHEEL, tmp_path, "acme_plc_tools-2.1.0-cp311-cp311-win_amd64.whl"
    )
    assert_fails(
        cli("verify", other_platform, "--bundle", bundle, *google),
        other_platform,
        "[cp311-cp311-win_amd64]), got 'acme_plc_tools-2.1.0-cp311-cp311-manylinux_2_17_x86_64",
    )


def test_a_genuine_attestation_naming_these_bytes_otherwise_fails(
    cli: CliRunner, tmp_path: Path
) -> None:
    """The publisher signed these bytes as version 2.0.0: that says nothing about 2.1.0."""
    data = (MINTED / WHEEL).read_bytes()
    other_name = "acme_plc_tools-2.0.0-py3-none-any.whl"
    attestation = mint_attestation(
        production_instance(),
        data,
        WHEEL,
        publisher=GITHUB,
        signed_at=SIGNED_AT,
        subject_name=other_name,
    )
    bundle = tmp_path / "x.publish.attestation"
    bundle.write_text(attestation_json(attestation))
    result = cli("verify", MINTED / WHEEL, "--bundle", bundle, *minted_identity())
    assert_fails(result, MINTED / WHEEL, f"got {other_name!r} (wheel acme-plc-tools 2.0.0")


MINTED_PUBLISHERS = """\
      - pypi_publisher: {github: {repository: acme-automation/plc-tools, workflow: release.yml}}
      - pypi_publisher: {gitlab: {repository: acme-automation/ot/plc-tools, workflow_filepath: .gitlab-ci.yml}}
      - pypi_publisher: {google: {email: release@acme-plc-tools.iam.gserviceaccount.com}}
"""  # noqa: E501


@pytest.mark.parametrize(
    ("artifact", "bundle"),
    [
        (WHEEL, ".publish.attestation"),
        (WHEEL, ".slsa.attestation"),
        (SDIST, ".provenance"),
        (PLATFORM_WHEEL, ".publish.attestation"),
    ],
)
def test_minted_attestations_verify_against_trusted_publishers(
    cli: CliRunner, tmp_path: Path, artifact: str, bundle: str
) -> None:
    trust = f"trust:\n  sigstore: [{MINTED / 'trusted_root.json'}]\n"
    policy = write_policy(tmp_path, MINTED_PUBLISHERS, trust=trust)
    result = cli(
        "verify", MINTED / artifact, "--bundle", MINTED / (artifact + bundle), "--policy", policy
    )
    assert_ok(result, MINTED / artifact)


def test_a_publisher_bound_to_production_is_not_vouched_for_by_staging(
    cli: CliRunner, tmp_path: Path
) -> None:
    production, staging = MINTED / "trusted_root.json", MINTED / "staging_trusted_root.json"
    policy = write_policy(
        tmp_path,
        "      - pypi_publisher:\n"
        "          github: {repository: acme-automation/plc-tools, workflow: release.yml}\n"
        f"          trust_root: {production}\n",
        trust=f"trust:\n  sigstore: [{production}, {staging}]\n",
    )
    wheel = MINTED / WHEEL
    assert_ok(
        cli(
            "verify",
            wheel,
            "--bundle",
            MINTED / (WHEEL + ".publish.attestation"),
            "--policy",
            policy,
        ),
        wheel,
    )
    staged = MINTED / (WHEEL + ".staging.publish.attestation")
    assert_fails(
        cli("verify", wheel, "--bundle", staged, "--policy", policy),
        wheel,
        f"under {staging}: bundle is signed with a certificate (keyless), but no certificate "
        "identity and issuer were given",
    )


def test_reusable_workflow_publisher_is_the_calling_workflow(
    cli: CliRunner, tmp_path: Path
) -> None:
    """PyPI trusts the workflow that was triggered (Build Config URI), not the reusable one
    whose name the certificate's SAN carries."""
    run = GitHubWorkflowRun(
        "acme-automation/plc-tools",
        "release.yml",
        job_workflow="acme-automation/shared/.github/workflows/pypi.yml@refs/heads/main",
    )
    data = (MINTED / WHEEL).read_bytes()
    attestation = mint_attestation(
        production_instance(), data, WHEEL, publisher=run, signed_at=SIGNED_AT
    )
    bundle = tmp_path / (WHEEL + ".publish.attestation")
    bundle.write_text(attestation_json(attestation))
    trust = f"trust:\n  sigstore: [{MINTED / 'trusted_root.json'}]\n"
    policy = write_policy(tmp_path, MINTED_PUBLISHERS, trust=trust)
    wheel = MINTED / WHEEL
    assert_ok(cli("verify", wheel, "--bundle", bundle, "--policy", policy), wheel)
    shared = write_policy(
        tmp_path,
        "      - pypi_publisher:\n"
        "          github: {repository: acme-automation/shared, workflow: pypi.yml}\n",
        trust=trust,
    )
    assert_fails(
        cli("verify", wheel, "--bundle", bundle, "--policy", shared),
        wheel,
        "Source Repository URI: expected https://github.com/acme-automation/shared, "
        "got 'https://github.com/acme-automation/plc-tools'",
    )


def test_publisher_environment_is_refused_because_nothing_can_check_it(
    cli: CliRunner, tmp_path: Path
) -> None:
    policy = write_policy(
        tmp_path,
        "      - pypi_publisher: {github: {repository: acme-automation/plc-tools, "
        "workflow: release.yml, environment: pypi}}\n",
    )
    result = cli("verify", MINTED / WHEEL, "--bundle", MINTED / (WHEEL + ".publish.attestation"),
                 "--policy", policy)  # fmt: skip
    assert "Traceback" not in result.stderr
    assert result.code == 2
    assert "expected no environment: the signing certificate does not record" in result.stderr


# -- malformed attestations: a failed verification with one clear line --------------------


def _mutated(mutate: Any) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((MINTED / (WHEEL + ".publish.attestation")).read_text())
    mutate(document)
    return document


@pytest.mark.parametrize(
    ("document", "fragment"),
    [
        (_mutated(lambda d: d.update(version=2)), "PEP 740 attestation: expected version 1, got 2"),
        (_mutated(lambda d: d.update(extra=1)), "PEP 740 attestation: unknown field(s) extra"),
        (
            _mutated(lambda d: d["envelope"].update(statement="not base64!")),
            "envelope.statement: not base64",
        ),
        (
            _mutated(lambda d: d["verification_material"]["transparency_entries"].append({})),
            "expected exactly one transparency entry, got 2",
        ),
        (
            _mutated(lambda d: d["verification_material"].update(certificate="AAAA")),
            "as a Sigstore bundle: certificate is malformed",
        ),
        (
            _mutated(lambda d: d["verification_material"]["transparency_entries"][0].pop("logId")),
            "as a Sigstore bundle: bundle is malformed",
        ),
        ({"version": 1, "attestation_bundles": []}, "attestation_bundles: expected a non-empty"),
        (
            {"version": 1, "attestation_bundles": [{"publisher": {}, "attestations": [{}]}]},
            "publisher: expected an object with a kind",
        ),
    ],
)
def test_malformed_attestations_fail_with_one_line(
    cli: CliRunner, tmp_path: Path, document: dict[str, Any], fragment: str
) -> None:
    bundle = tmp_path / "broken.attestation"
    bundle.write_text(json.dumps(document))
    wheel = MINTED / WHEEL
    assert_fails(cli("verify", wheel, "--bundle", bundle, *minted_identity()), wheel, fragment)


def test_a_tampered_statement_fails_the_signature(cli: CliRunner, tmp_path: Path) -> None:
    document = json.loads((MINTED / (WHEEL + ".publish.attestation")).read_text())
    statement = json.loads(base64.b64decode(document["envelope"]["statement"]))
    statement["subject"][0]["name"] = "acme_plc_tools-9.9.9-py3-none-any.whl"
    document["envelope"]["statement"] = base64.b64encode(json.dumps(statement).encode()).decode()
    bundle = tmp_path / "tampered.attestation"
    bundle.write_text(json.dumps(document))
    wheel = MINTED / WHEEL
    result = cli("verify", wheel, "--bundle", bundle, *minted_identity())
    assert_fails(result, wheel, "signature does not verify over the DSSE envelope")


def test_provenance_object_from_the_helper_round_trips(tmp_path: Path) -> None:
    attestation = json.loads((MINTED / (SDIST + ".publish.attestation")).read_text())
    document = provenance_object(GITLAB, [attestation])
    assert attestation_json(document) == (MINTED / (SDIST + ".provenance")).read_text()


def test_a_publish_attestation_converted_to_a_plain_bundle_keeps_its_name_binding(
    cli: CliRunner, tmp_path: Path
) -> None:
    """Re-wrapping PyPI's attestation as a Sigstore bundle (as pypi-attestations' `to_bundle`
    does) must not shed the file name it is about."""
    attestation = json.loads((REAL / (SDIST_0019 + ".publish.attestation")).read_text())
    bundle = tmp_path / "rewrapped.sigstore.json"
    bundle.write_text(
        json.dumps(
            {
                "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
                "verificationMaterial": {
                    "certificate": {
                        "rawBytes": attestation["verification_material"]["certificate"]
                    },
                    "tlogEntries": attestation["verification_material"]["transparency_entries"],
                },
                "dsseEnvelope": {
                    "payload": attestation["envelope"]["statement"],
                    "payloadType": "application/vnd.in-toto+json",
                    "signatures": [{"sig": attestation["envelope"]["signature"]}],
                },
            }
        )
    )
    assert_ok(cli("verify", REAL / SDIST_0019, "--bundle", bundle, *identity()), REAL / SDIST_0019)
    renamed = copy_as(REAL / SDIST_0019, tmp_path, "pypi_attestations-0.0.20.tar.gz")
    assert_fails(
        cli("verify", renamed, "--bundle", bundle, *identity()),
        renamed,
        "expected the file name 'pypi_attestations-0.0.20.tar.gz'",
    )


def test_the_readme_example_runs_as_written(tmp_path: Path) -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    section = readme.split("### PyPI (PEP 740) and npm registry attestations", 1)[1]
    script = section.split("```sh\n", 1)[1].split("```", 1)[0]
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=Path(__file__).parents[1],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == f"OK: tests/data/pep740/pypi-attestations/{SDIST_0019}\n"


def test_policy_mode_decides_renamed_altered_and_other_instance_attestations(
    cli: CliRunner, tmp_path: Path
) -> None:
    """The acceptance cases of identity flags, under a policy of trusted publishers."""
    policy = write_policy(tmp_path, REAL_PUBLISHERS)
    bundle = REAL / (SDIST_0019 + ".publish.attestation")
    assert_ok(
        cli("verify", REAL / SDIST_0019, "--bundle", bundle, "--policy", policy), REAL / SDIST_0019
    )
    renamed = copy_as(REAL / SDIST_0019, tmp_path, "pypi_attestations-0.0.20.tar.gz")
    assert_fails(
        cli("verify", renamed, "--bundle", bundle, "--policy", policy),
        renamed,
        "expected the file name 'pypi_attestations-0.0.20.tar.gz'",
    )
    altered = tmp_path / "altered"
    altered.mkdir()
    impostor = altered / SDIST_0019
    impostor.write_bytes(b"not the published sdist")
    assert_fails(
        cli("verify", impostor, "--bundle", bundle, "--policy", policy),
        impostor,
        "attestation subject: expected sha256 ",
    )
    staging = write_policy(
        tmp_path, REAL_PUBLISHERS, trust="trust:\n  sigstore: [embedded:staging]\n"
    )
    assert_fails(
        cli("verify", REAL / SDIST_0019, "--bundle", bundle, "--policy", staging),
        REAL / SDIST_0019,
        "which trust root embedded:staging does not name",
    )
