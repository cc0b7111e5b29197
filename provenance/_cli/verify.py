"""`provenance verify`."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from provenance._cli import cli
from provenance._cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    InputPath,
    echo_report,
    expected_sha256_option,
    online_revocation_option,
    report_format_option,
    run_inspections_option,
    usage_exit,
    verdict,
)
from provenance._cli.vet import parse_reports, report_options, write_reports

if TYPE_CHECKING:
    from collections.abc import Sequence

    from provenance.inputs.documents import EvidenceDocument
    from provenance.verification.sigstore.verifier import NamedSigner

_EMBEDDED = {False: "embedded:production", True: "embedded:staging"}

_EXIT_CODES = """\b
Exit codes:
  0  verified
  1  verification failed (including malformed evidence)
  2  could not run as asked (bad flags, unreadable input, invalid policy or trust root)"""


def _signers_from_flags(
    identity: str | None,
    identity_regexp: str | None,
    issuer: str | None,
    issuer_regexp: str | None,
    key: Path | None,
) -> list[NamedSigner]:
    from provenance.verification.matching import Pattern
    from provenance.verification.signers import SigstoreIdentity, load_public_key
    from provenance.verification.sigstore.verifier import NamedSigner

    if identity and identity_regexp:
        usage_exit("give --certificate-identity or --certificate-identity-regexp, not both")
    if issuer and issuer_regexp:
        usage_exit("give --certificate-oidc-issuer or --certificate-oidc-issuer-regexp, not both")
    has_identity, has_issuer = bool(identity or identity_regexp), bool(issuer or issuer_regexp)
    if has_identity != has_issuer:
        usage_exit(
            "a certificate identity needs its OIDC issuer and an issuer its identity: give "
            "--certificate-identity[-regexp] together with --certificate-oidc-issuer[-regexp]"
        )
    signers = []
    if has_identity:
        try:
            who = (
                Pattern.regex(identity_regexp) if identity_regexp else Pattern.exact(identity or "")
            )
            by = Pattern.regex(issuer_regexp) if issuer_regexp else Pattern.exact(issuer or "")
        except re.error as exc:
            usage_exit(f"invalid regular expression: {exc}")
        signers.append(NamedSigner(SigstoreIdentity(identity=who, issuer=by)))
    if key is not None:
        signers.append(NamedSigner(load_public_key(key)))
    return signers


@cli.command(epilog=_EXIT_CODES)
@click.argument("artifact")
@click.option(
    "--bundle",
    type=InputPath("a Sigstore bundle"),
    help="Sigstore bundle (default: ARTIFACT.sigstore.json, then ARTIFACT.sigstore, beside it).",
)
@click.option("--certificate-identity", metavar="ID", help="Expected signer identity (exact).")
@click.option(
    "--certificate-identity-regexp",
    metavar="RE",
    help="Expected signer identity, a regular expression matched in full (anchored).",
)
@click.option("--certificate-oidc-issuer", metavar="URL", help="Expected OIDC issuer (exact).")
@click.option(
    "--certificate-oidc-issuer-regexp",
    metavar="RE",
    help="Expected OIDC issuer, a regular expression matched in full (anchored).",
)
@click.option(
    "--key",
    type=InputPath("a public key (PEM)"),
    metavar="PEM",
    help="Public key of a managed-key bundle (the log entry is still checked).",
)
@click.option(
    "--trusted-root",
    type=InputPath("a trusted_root.json"),
    metavar="FILE",
    help="trusted_root.json of a private or air-gapped Sigstore instance.",
)
@click.option("--staging", is_flag=True, help="Use the embedded Sigstore staging trust root.")
@click.option(
    "--policy",
    type=InputPath("the site policy"),
    metavar="FILE",
    help="Take signers and trust roots from a policy file's vendors.",
)
@click.option("--vendor", metavar="NAME", help="With --policy: accept only this vendor's signers.")
@click.option(
    "--segment",
    metavar="NAME",
    help="With --policy: decide as the gate would for this segment (every requirement, all "
    "evidence beside ARTIFACT or given with --evidence), without admitting.",
)
@click.option(
    "--evidence",
    "evidence",
    multiple=True,
    type=InputPath("an evidence file"),
    metavar="FILE",
    help="With --segment: an evidence file (repeatable; default: the files beside ARTIFACT).",
)
@click.option(
    "--attestations-from",
    metavar="github:OWNER/REPO",
    help="With --segment: ALSO fetch attestations for the digest from GitHub's attestation API "
    "(online; GITHUB_TOKEN is used if set). They are verified like local files.",
)
@click.option("--product", metavar="PURL", help="With --segment: the product, if not signed.")
@click.option(
    "--artifact-version",
    "product_version",
    metavar="V",
    help="With --segment: the artifact's version, when no signed evidence names one.",
)
@click.option(
    "--npm-package",
    metavar="NAME@VERSION",
    help="ARTIFACT is this npm package version's tarball and --bundle the registry's "
    "attestations for it: check them as `npm audit signatures` does (the provenance "
    "attestation's identity against the identity flags or --policy).",
)
@click.option(
    "--npm-registry-keys",
    type=InputPath("npm registry keys"),
    metavar="FILE",
    help="With --npm-package: npm's registry signing keys, the /-/npm/v1/keys document "
    "(never fetched).",
)
@click.option(
    "--npm-integrity",
    metavar="SRI",
    help="With --npm-package: the registry's integrity for the version (sha512-...); the "
    "tarball must match it.",
)
@expected_sha256_option
@run_inspections_option
@online_revocation_option
@report_format_option()
@report_options
@click.option(
    "--state-dir",
    type=click.Path(path_type=Path),
    help="With --segment: where the vulnerability database is, for a segment with a "
    "vulnerabilities rule (default: $PROVENANCE_STATE_DIR, else the user data directory).",
)
def verify(
    *,
    artifact: str,
    bundle: Path | None,
    certificate_identity: str | None,
    certificate_identity_regexp: str | None,
    certificate_oidc_issuer: str | None,
    certificate_oidc_issuer_regexp: str | None,
    key: Path | None,
    trusted_root: Path | None,
    staging: bool,
    policy: Path | None,
    vendor: str | None,
    segment: str | None,
    evidence: tuple[Path, ...],
    attestations_from: str | None,
    product: str | None,
    product_version: str | None,
    npm_package: str | None,
    npm_registry_keys: Path | None,
    npm_integrity: str | None,
    expected_sha256: str | None,
    run_inspections: bool,
    online_revocation: bool,
    output_format: str,
    reports: tuple[str, ...],
    force: bool,
    sarif_root: Path | None,
    state_dir: Path | None,
) -> None:
    """Verify ARTIFACT (a file, or sha256:<64 hex>) against its Sigstore bundle, offline.

    By default the Sigstore production trust root embedded in the installed sigstore package
    is used; no network connection is made.
    """
    from provenance.commands.verify import verify as run_verify
    from provenance.errors import UsageError, VerificationFailure
    from provenance.report.verify_json import render_json
    from provenance.report.verify_text import render_text, verdict_line

    npm_flags = [
        flag
        for flag, given in (
            ("--npm-package", npm_package),
            ("--npm-registry-keys", npm_registry_keys),
            ("--npm-integrity", npm_integrity),
        )
        if given
    ]
    if segment is not None:
        if policy is None or bundle is not None or vendor is not None or npm_flags:
            usage_exit(
                "--segment needs --policy (its requirements come from it) and takes evidence "
                "with --evidence, not --bundle, --vendor or --npm-* flags"
            )
        _verify_segment(
            artifact,
            policy=policy,
            segment=segment,
            evidence=evidence,
            attestations_from=attestations_from,
            product=product,
            version=product_version,
            expected_sha256=expected_sha256,
            run_inspections=run_inspections,
            online_revocation=online_revocation,
            output_format=output_format,
            reports=parse_reports(reports, force=force),
            force=force,
            sarif_root=sarif_root,
            state_dir=state_dir,
        )
    segment_only = [
        flag
        for flag, given in (
            ("--evidence", evidence),
            ("--attestations-from", attestations_from),
            ("--product", product),
            ("--artifact-version", product_version),
            ("--expected-sha256", expected_sha256),
            ("--run-inspections", run_inspections),
            ("--online-revocation", online_revocation),
            ("--report", reports),
            ("--sarif-root", sarif_root),
            ("--state-dir", state_dir),
        )
        if given
    ]
    if segment_only:
        usage_exit(f"{', '.join(segment_only)}: only with --segment (a decision under a policy)")
    if npm_flags:
        _verify_npm(
            artifact,
            package=npm_package,
            registry_keys=npm_registry_keys,
            integrity=npm_integrity,
            attestations=bundle,
            identity_flags=(
                certificate_identity,
                certificate_identity_regexp,
                certificate_oidc_issuer,
                certificate_oidc_issuer_regexp,
            ),
            key=key,
            trusted_root=trusted_root,
            staging=staging,
            policy=policy,
            vendor=vendor,
            output_format=output_format,
        )
    try:
        if trusted_root is not None and staging:
            usage_exit("give --trusted-root or --staging, not both")
        flag_signers = _signers_from_flags(
            certificate_identity,
            certificate_identity_regexp,
            certificate_oidc_issuer,
            certificate_oidc_issuer_regexp,
            key,
        )
        if policy is not None:
            if flag_signers or trusted_root or staging:
                usage_exit(
                    "--policy brings its own signers and trust roots: do not combine it with "
                    "identity, key, --trusted-root or --staging flags"
                )
            signers, trust = _policy_signers(policy, vendor)
        else:
            if vendor is not None:
                usage_exit("--vendor needs --policy")
            signers = flag_signers
            trust = [str(trusted_root) if trusted_root else _EMBEDDED[staging]]
        result = run_verify(artifact, signers=signers, bundle=bundle, trust_roots=trust)
    except UsageError as exc:
        usage_exit(str(exc))
    except VerificationFailure as exc:
        # The library reports failures as results; this is only a safety net.
        click.echo(verdict("FAIL", artifact, str(exc)), err=True)
        sys.exit(EXIT_FAILED)

    echo_report(render_json(result) if output_format == "json" else render_text(result))
    click.echo(verdict_line(result), err=True)
    sys.exit(EXIT_OK if result.decision == "verified" else EXIT_FAILED)


def _verify_npm(
    artifact: str,
    *,
    package: str | None,
    registry_keys: Path | None,
    integrity: str | None,
    attestations: Path | None,
    identity_flags: tuple[str | None, str | None, str | None, str | None],
    key: Path | None,
    trusted_root: Path | None,
    staging: bool,
    policy: Path | None,
    vendor: str | None,
    output_format: str,
) -> NoReturn:
    from provenance.api import verify_npm
    from provenance.errors import UsageError
    from provenance.report.npm_verify import render_json, render_text, verdict_line

    if package is None or registry_keys is None or attestations is None:
        usage_exit(
            "npm attestations need --npm-package NAME@VERSION, --npm-registry-keys FILE (npm's "
            "keys, never fetched) and --bundle FILE (the registry's attestations)"
        )
    if key is not None:
        usage_exit("--key: npm's publish attestations are checked with --npm-registry-keys")
    if trusted_root is not None and staging:
        usage_exit("give --trusted-root or --staging, not both")
    try:
        signers = _signers_from_flags(*identity_flags, None)
        if policy is not None:
            if signers or trusted_root or staging:
                usage_exit(
                    "--policy brings its own signers and trust roots: do not combine it with "
                    "identity, --trusted-root or --staging flags"
                )
            signers, trust = _policy_signers(policy, vendor)
        else:
            if vendor is not None:
                usage_exit("--vendor needs --policy")
            trust = [str(trusted_root) if trusted_root else _EMBEDDED[staging]]
        result = verify_npm(
            artifact,
            attestations=attestations,
            package=package,
            registry_keys=registry_keys,
            signers=signers,
            trust_roots=trust,
            integrity=integrity,
        )
    except UsageError as exc:
        usage_exit(str(exc))
    echo_report(render_json(result) if output_format == "json" else render_text(result))
    click.echo(verdict_line(result), err=True)
    sys.exit(EXIT_OK if result.verified else EXIT_FAILED)


def _verify_segment(
    artifact: str,
    *,
    policy: Path,
    segment: str,
    evidence: tuple[Path, ...],
    attestations_from: str | None,
    product: str | None,
    version: str | None,
    expected_sha256: str | None,
    run_inspections: bool,
    online_revocation: bool,
    output_format: str,
    reports: Sequence[tuple[str, Path]],
    force: bool,
    sarif_root: Path | None,
    state_dir: Path | None,
) -> NoReturn:
    from provenance.commands.evaluate import evaluate
    from provenance.errors import UsageError
    from provenance.report.decision_report import (
        evaluation_to_dict,
        render_json,
        render_text,
        verdict_line,
    )
    from provenance.report.vet_json import wrap_decision

    try:
        fetched = _fetch_attestations(artifact, attestations_from) if attestations_from else ()
        result = evaluate(
            artifact,
            evidence,
            policy_path=policy,
            segment=segment,
            fetched=fetched,
            product=product,
            version=version,
            expected_sha256=expected_sha256,
            run_inspections=run_inspections,
            online_revocation=online_revocation,
            state_dir=state_dir,
        )
    except UsageError as exc:
        usage_exit(str(exc))
    if reports:
        # Reports render a vet result: this decision, as a delivery of one file.
        # One JSON shape: `--report json=` is the decision `--format json` prints; the other
        # formats render a vet result around it (a delivery of one file).
        decision = evaluation_to_dict(result)
        write_reports(
            reports,
            wrap_decision(decision),
            force=force,
            sarif_root=sarif_root,
            json_result=decision,
        )
    echo_report(render_json(result) if output_format == "json" else render_text(result))
    click.echo(verdict_line(result), err=True)
    sys.exit(EXIT_OK if result.allowed else EXIT_FAILED)


def _fetch_attestations(artifact: str, source: str) -> Sequence[EvidenceDocument]:
    from provenance.inputs.artifact import artifact_from_argument
    from provenance.inputs.github_attestations import fetch_attestations, parse_source

    repository = parse_source(source)
    return fetch_attestations(repository, artifact_from_argument(artifact).sha256.hex())


def _policy_signers(path: Path, vendor: str | None) -> tuple[list[NamedSigner], list[str]]:
    from provenance.policy import load_policy
    from provenance.verification.sigstore.verifier import NamedSigner

    loaded = load_policy(path)
    rules = loaded.signer_rules(vendor)
    return [NamedSigner(rule, vendor=name) for name, rule in rules], list(loaded.sigstore_trust)
