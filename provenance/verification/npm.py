"""npm registry attestations verified as `npm audit signatures` verifies them, into facts.

What npm does (pacote's `RegistryFetcher.manifest` with `verifyAttestations`, called by npm's
`lib/utils/verify-signatures.js`), and where a gate is stricter:

0. The tarball is the artifact. If the registry's `integrity` (`sha512-...`, from the lockfile
   or the packument) is given, the tarball's SHA-512 must be it, as npm installs nothing else.
1. Every attestation is verified; the file holds only if all do (pacote throws on the first).
2. A publish attestation names its registry key by `keyid`: that key must have been given
   (injected, never fetched) and not expired at the log's verified integration time; the
   bundle is verified with it alone (log inclusion and time, signature, log consistency).
3. A provenance attestation carries a Fulcio certificate: verified under the trust root, and,
   stricter than npm (which takes any Fulcio identity), its identity must match the caller's
   signer rules: a gate names the builder it trusts.
4. Each verified statement: exactly one subject (npm reads the first only), named
   `pkg:npm/NAME@VERSION` for the expected package, with the tarball's SHA-512; its predicate
   type is the one the registry labels it with, and one its signer may make (a registry key
   signs publish attestations, a CI identity SLSA provenance).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from provenance.errors import EvidenceError, InputError, UsageError
from provenance.evidence.in_toto import Statement
from provenance.evidence.npm_attestations import (
    NPM_PUBLISH_V01,
    SLSA_PROVENANCE_TYPES,
    NpmAttestation,
    NpmPackage,
    read_npm_attestations,
)
from provenance.evidence.sigstore_bundle import DsseContent
from provenance.facts import AttestationFact, SignatureFact
from provenance.inputs.artifact import Artifact
from provenance.verification.attestations import attestation_fact
from provenance.verification.npm_registry_keys import RegistryKey
from provenance.verification.sigstore.trust_root import SigstoreTrustRoot
from provenance.verification.sigstore.verifier import (
    BundleOutcome,
    Check,
    NamedSigner,
    verify_bundle,
)

__all__ = [
    "NpmAttestationOutcome",
    "NpmResult",
    "parse_integrity",
    "tarball_sha512",
    "verify_npm_attestations",
]

_CHUNK = 1 << 20


@dataclass(frozen=True)
class NpmAttestationOutcome:
    """One attestation: the runs of the bundle verifier, and the fact if all held."""

    predicate_type: str  # the registry's label
    source: str
    runs: tuple[BundleOutcome, ...]
    attestation: AttestationFact | None = None

    @property
    def passed(self) -> bool:
        return self.attestation is not None

    @property
    def signature(self) -> SignatureFact | None:
        return self.attestation.signature if self.attestation else None

    @property
    def reason(self) -> str:
        if self.passed:
            return ""
        if len(self.runs) == 1:
            return self.runs[0].reason
        return "; ".join(f"under {run.trust_root}: {run.reason}" for run in self.runs)


@dataclass(frozen=True)
class NpmResult:
    """The attestations of one package version, about one tarball."""

    artifact: Artifact
    package: NpmPackage
    source: str
    sha512: str  # hex, of the tarball
    attestations: tuple[NpmAttestationOutcome, ...] = ()
    problem: str | None = None  # before any attestation: malformed file, integrity mismatch

    @property
    def verified(self) -> bool:
        return (
            self.problem is None
            and bool(self.attestations)
            and all(a.passed for a in self.attestations)
        )

    @property
    def facts(self) -> tuple[AttestationFact, ...]:
        return tuple(a.attestation for a in self.attestations if a.attestation is not None)

    @property
    def reason(self) -> str:
        if self.problem is not None:
            return self.problem
        failed = [a for a in self.attestations if not a.passed]
        return "; ".join(f"{_short(a.predicate_type)} attestation: {a.reason}" for a in failed)


def parse_integrity(integrity: str) -> bytes:
    """The SHA-512 of an npm `integrity` (Subresource Integrity, `sha512-<base64>`)."""
    algorithm, _, value = integrity.strip().partition("-")
    if algorithm != "sha512" or " " in value:
        raise InputError(
            f"{integrity[:100]!r}: expected an npm integrity with one SHA-512 (sha512-<base64>)"
        )
    try:
        digest = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InputError(f"{integrity[:100]!r}: not base64 ({exc})") from exc
    if len(digest) != 64:
        raise InputError(f"{integrity[:100]!r}: expected 64 bytes of SHA-512, got {len(digest)}")
    return digest


def tarball_sha512(artifact: Artifact) -> str:
    """The tarball's SHA-512 (hex), read again; it must still hash to the artifact's SHA-256."""
    if artifact.path is None:
        raise UsageError(
            f"{artifact.name}: npm attestations are about the tarball's SHA-512: give the "
            "tarball, not a digest"
        )
    sha256, sha512 = hashlib.sha256(), hashlib.sha512()
    try:
        with artifact.path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                sha256.update(chunk)
                sha512.update(chunk)
    except OSError as exc:
        raise InputError(
            f"{artifact.name}: cannot read the tarball: {exc.strerror or exc}"
        ) from exc
    if sha256.digest() != artifact.sha256:
        raise InputError(f"{artifact.name}: the file changed while it was being verified")
    return sha512.hexdigest()


def verify_npm_attestations(
    path: Path,
    artifact: Artifact,
    *,
    package: NpmPackage,
    registry_keys: Sequence[RegistryKey],
    signers: Sequence[NamedSigner],
    trust_roots: Sequence[SigstoreTrustRoot],
    now: datetime,
    integrity: bytes | None = None,
) -> NpmResult:
    """Verify the registry's attestations file for `package` against the tarball `artifact`.

    A failure is a result; only what the operator must fix (an unreadable file, digest mode)
    raises `UsageError`."""
    sha512 = tarball_sha512(artifact)
    result = NpmResult(artifact, package, str(path), sha512)
    if integrity is not None and integrity.hex() != sha512:
        return replace(
            result,
            problem=f"integrity: the registry says sha512 {integrity.hex()[:16]}..., the "
            f"tarball's is {sha512[:16]}...: not the tarball npm would install",
        )
    try:
        attestations = read_npm_attestations(path)
    except EvidenceError as malformed:
        return replace(result, problem=str(malformed))
    run = _Verification(package, sha512, registry_keys, signers, trust_roots, now)
    return replace(result, attestations=tuple(run.one(a, artifact) for a in attestations))


@dataclass(frozen=True)
class _Verification:
    package: NpmPackage
    sha512: str
    registry_keys: Sequence[RegistryKey]
    signers: Sequence[NamedSigner]
    trust_roots: Sequence[SigstoreTrustRoot]
    now: datetime

    def one(self, attestation: NpmAttestation, artifact: Artifact) -> NpmAttestationOutcome:
        label, source = attestation.predicate_type, attestation.source
        chosen = self.signers_for(attestation)
        if isinstance(chosen, str):
            return NpmAttestationOutcome(label, source, (BundleOutcome.rejected(source, chosen),))
        key, signers = chosen
        runs = []
        for root in self.trust_roots:
            run = verify_bundle(
                attestation, artifact, trust_root=root, signers=signers, now=self.now
            )
            if run.fact is None or run.statement is None:
                runs.append(run)
                continue
            problem = self.key_problem(run, key) or self.statement_problem(
                attestation, run.statement, key
            )
            if problem is not None:
                runs.append(_with_failure(run, *problem))
                break
            try:
                fact = attestation_fact(run.fact, run.statement, source)
            except EvidenceError as malformed:
                runs.append(_with_failure(run, "predicate", str(malformed)))
                break
            runs.append(_with_pass(run, self.package))
            return NpmAttestationOutcome(label, source, tuple(runs), fact)
        return NpmAttestationOutcome(label, source, tuple(runs))

    def signers_for(
        self, attestation: NpmAttestation
    ) -> tuple[RegistryKey | None, Sequence[NamedSigner]] | str:
        """The registry key (publish) or the caller's rules (provenance); else the problem."""
        if not isinstance(attestation.content, DsseContent):
            return "expected a DSSE envelope, got a message signature"
        if not attestation.keyid:
            if attestation.certificate is None:
                return "expected a registry keyid or a signing certificate, got neither"
            return None, self.signers
        if attestation.certificate is not None:
            return f"signed by a certificate, yet labelled with keyid {attestation.keyid[:80]}"
        key = next((k for k in self.registry_keys if k.keyid == attestation.keyid), None)
        if key is None:
            given = ", ".join(k.keyid for k in self.registry_keys)
            return (
                f"signed by registry key {attestation.keyid[:80]}, which is not among the npm "
                f"registry keys given ({given})"
            )
        return key, (NamedSigner(key.signer),)

    def key_problem(self, run: BundleOutcome, key: RegistryKey | None) -> tuple[str, str] | None:
        """A registry key counts only for what it signed before it expired."""
        if key is None or key.expires is None:
            return None
        signed = run.fact.signed_at if run.fact else None
        if signed is not None and signed < key.expires:
            return None
        when = signed.isoformat() if signed else "an unknown time"
        return "npm-key", f"{key.describe()}: the attestation was logged at {when}, after that"

    def statement_problem(
        self, attestation: NpmAttestation, statement: Statement, key: RegistryKey | None
    ) -> tuple[str, str] | None:
        """What npm's own checks find wrong with a verified statement, as (check, detail)."""
        kind, label = statement.predicate_type, attestation.predicate_type
        allowed = (NPM_PUBLISH_V01,) if key is not None else SLSA_PROVENANCE_TYPES
        problems = [
            (
                kind != label,
                f"predicate type: the registry labels it {label[:100]}, the signed statement "
                f"says {kind[:100]}",
            ),
            (
                kind not in allowed,
                f"predicate type: {'an npm registry key' if key else 'a CI identity'} may "
                f"sign {', '.join(allowed)}, got {kind[:100]}",
            ),
            (
                len(statement.subjects) != 1,
                f"expected exactly one subject, got {len(statement.subjects)}",
            ),
        ]
        for failed, detail in problems:
            if failed:
                return "npm-subject", detail
        subject = statement.subjects[0]
        if subject.name != self.package.purl:
            return (
                "npm-subject",
                f"package: expected {self.package.purl}, got {subject.name[:200]!r}",
            )
        signed_sha512 = subject.digest.get("sha512") or "no sha512"
        if signed_sha512 != self.sha512:
            return "npm-subject", (
                f"tarball: expected sha512 {self.sha512[:16]}..., got {signed_sha512[:16]}..."
            )
        return None


def _with_failure(run: BundleOutcome, check: str, detail: str) -> BundleOutcome:
    return replace(
        run, checks=(*run.checks, Check(check, False, detail)), fact=None, statement=None
    )


def _with_pass(run: BundleOutcome, package: NpmPackage) -> BundleOutcome:
    detail = f"one subject, {package.purl} with the tarball's SHA-512"
    return replace(run, checks=(*run.checks, Check("npm-subject", True, detail)))


def _short(predicate_type: str) -> str:
    if predicate_type == NPM_PUBLISH_V01:
        return "publish"
    if predicate_type in SLSA_PROVENANCE_TYPES:
        return "provenance"
    return repr(predicate_type[:80])
