"""Verify one Sigstore bundle for one artifact digest, offline, and state what it proves.

The algorithm, in the order it runs (each step raises `VerificationFailure`; the steps that
held are kept as checks so a report shows how far the evidence got):

1. Bundle: parsed strictly at the boundary (`evidence.sigstore_bundle`).
2. Log: the entry's log ID names a transparency log of the trust root; the Merkle inclusion
   proof leads from the entry body to the proof's root hash (RFC 9162); the checkpoint is
   signed by that log and commits to the same tree size and root; the inclusion promise
   (SET), when present, is signed by the log.
3. Time: every RFC 3161 timestamp verifies against a TSA of the trust root over the bundle's
   signature, inside the TSA's validity; the integrated time counts only if its promise
   verified. At least one verified time; none in the future of the injected clock; the log's
   key was valid at each.
4. Signer: a certificate is valid at every verified time, chains to a Fulcio CA of the trust
   root at each, follows the Fulcio profile, and carries an SCT from a trusted CT log (RFC
   6962). A managed-key bundle is tried against the caller's keys only; its hint is ignored.
5. Signature: over the artifact digest (message signature; a messageDigest present must
   equal it) or over the DSSE PAE.
6. Consistency: the logged entry body names this signature, signer and digest
   (CVE-2022-36056).
7. Subject (DSSE only): an in-toto Statement v0.1/v1 whose subjects include the artifact; a
   PEP 740 attestation's (and any PyPI publish statement's) one subject also names the
   artifact's distribution file (`distribution_subject`).
8. Identity: the certificate's SAN and OIDC issuer match a signer rule, or its claims match a
   PyPI trusted publisher rule (`trusted_publishers`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from provenance.errors import VerificationFailure
from provenance.evidence.in_toto import IN_TOTO_PAYLOAD_TYPE, Statement, parse_statement
from provenance.evidence.pep740 import PUBLISH_V1, Pep740Bundle
from provenance.evidence.sigstore_bundle import DsseContent, ParsedBundle
from provenance.facts import SignatureFact
from provenance.inputs.artifact import Artifact
from provenance.verification.dsse import dsse_hash, pae
from provenance.verification.signatures import verify_signature
from provenance.verification.signers import (
    PublicKeySigner,
    SignerRule,
    SigstoreIdentity,
    VerifyingKey,
)
from provenance.verification.sigstore import certificate as cert_checks
from provenance.verification.sigstore.entry_body import check_entry_body, entry_kind
from provenance.verification.sigstore.keys import LogKey
from provenance.verification.sigstore.timestamps import (
    UntrustedTimestamp,
    VerifiedTime,
    verify_rfc3161_timestamp,
)
from provenance.verification.sigstore.tlog import (
    verify_checkpoint,
    verify_inclusion_promise,
    verify_inclusion_proof,
)
from provenance.verification.sigstore.trust_root import SigstoreTrustRoot
from provenance.verification.subjects import SubjectMatch, require_subject
from provenance.verification.trusted_publishers import TrustedPublisher

__all__ = ["BundleOutcome", "Check", "NamedSigner", "verify_bundle"]

# Entry types only Rekor v2 writes; v1 shards number entries globally, v2 logs do not.
REKOR_V2_KINDS = frozenset({"hashedrekord/0.0.2", "dsse/0.0.2"})
# Clocks of a log, a TSA and this machine disagree a little; a time further ahead is forged.
MAX_CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class NamedSigner:
    """A signer rule and the policy vendor it belongs to (None for command-line rules)."""

    rule: SignerRule
    vendor: str | None = None

    def describe(self) -> str:
        owner = f"vendor {self.vendor}: " if self.vendor else ""
        return owner + self.rule.describe()


@dataclass(frozen=True)
class _KeyMatch:
    named: NamedSigner
    key: VerifyingKey
    key_id: str


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class BundleOutcome:
    bundle: str
    trust_root: str
    checks: tuple[Check, ...]
    fact: SignatureFact | None
    statement: Statement | None = None  # the verified in-toto statement, for DSSE bundles

    @classmethod
    def rejected(cls, bundle: str, problem: str) -> BundleOutcome:
        """A bundle that could not even be parsed; no trust root was consulted."""
        return cls(
            bundle=bundle, trust_root="", checks=(Check("bundle", False, problem),), fact=None
        )

    @property
    def passed(self) -> bool:
        return self.fact is not None

    @property
    def reason(self) -> str:
        failed = [check.detail for check in self.checks if not check.passed]
        return failed[0] if failed else ""


def verify_bundle(
    bundle: ParsedBundle,
    artifact: Artifact,
    *,
    trust_root: SigstoreTrustRoot,
    signers: Sequence[NamedSigner],
    now: datetime,
) -> BundleOutcome:
    """Run every step; a failure stops the run and is recorded as the last, failed check."""
    run = _Run(bundle, artifact, trust_root, signers, now)
    try:
        fact, statement = run.verify()
    except VerificationFailure as failure:
        run.checks.append(Check(failure.check or "verification", False, str(failure)))
        fact, statement = None, None
    return BundleOutcome(
        bundle=bundle.source,
        trust_root=trust_root.name,
        checks=tuple(run.checks),
        fact=fact,
        statement=statement,
    )


class _Run:
    def __init__(
        self,
        bundle: ParsedBundle,
        artifact: Artifact,
        trust_root: SigstoreTrustRoot,
        signers: Sequence[NamedSigner],
        now: datetime,
    ) -> None:
        self.bundle = bundle
        self.artifact = artifact
        self.trust_root = trust_root
        self.signers = signers
        self.now = now
        self.checks: list[Check] = [Check("bundle", True, _bundle_detail(bundle))]

    def passed(self, name: str, detail: str) -> None:
        self.checks.append(Check(name, True, detail))

    def verify(self) -> tuple[SignatureFact, Statement | None]:
        log = self.verify_log()
        times = self.establish_time(log)
        leaf = self.bundle.certificate
        signer: x509.Certificate | VerifyingKey
        if leaf is not None:
            if not self.identity_rules():
                raise VerificationFailure(
                    "bundle is signed with a certificate (keyless), but no certificate identity "
                    f"and issuer were given to verify it against under {self.trust_root.name}",
                    check="identity",
                )
            self.verify_certificate(leaf, times)
            self.verify_signature(leaf.public_key())
            signer = leaf
        else:
            key_signer = self.select_key()
            signer = key_signer.key
        check_entry_body(self.bundle, signer=signer, artifact_sha256=self.artifact.sha256)
        self.passed("tlog-consistency", "log entry matches signature, signer and content")
        # Identity before content: an untrusted signer's payload is never parsed.
        if leaf is not None:
            matched, who = self.match_identity(leaf)
            subject = self.verify_subject()
            return self.fact(log, times, matched, subject, who=who), _statement(subject)
        subject = self.verify_subject()
        fact = self.fact(log, times, key_signer, subject, key_id=key_signer.key_id)
        return fact, _statement(subject)

    # 2. Log
    def verify_log(self) -> LogKey:
        entry = self.bundle.entry
        log = self.trust_root.tlogs.get(entry.log_id.key_id)
        if log is None:
            raise VerificationFailure(
                f"log entry is from log {entry.log_id.key_id.hex()}, which trust root "
                f"{self.trust_root.name} does not name",
                check="tlog",
            )
        verify_inclusion_proof(entry)
        verify_checkpoint(entry, log)
        if entry_kind(self.bundle) in REKOR_V2_KINDS and entry.log_index != (
            proof_index := entry.inclusion_proof.log_index
        ):
            # A Rekor v2 log is one tree: its entry index is the proof's, and nothing else
            # vouches for the bundle's copy.
            raise VerificationFailure(
                f"log index: expected {proof_index} (inclusion proof), got {entry.log_index}",
                check="tlog",
            )
        promise = ""
        if entry.inclusion_promise is not None:
            verify_inclusion_promise(entry, log)
            promise = ", inclusion promise signed"
        self.passed(
            "tlog",
            f"entry {self.log_index()} in {log.base_url}: inclusion proof to signed checkpoint "
            f"(tree size {entry.inclusion_proof.tree_size}){promise}",
        )
        return log

    def log_index(self) -> int:
        """The index the log vouched for: the entry's own is covered only by a promise (SET);
        without one (Rekor v2), report the inclusion proof's, which the Merkle path proves."""
        entry = self.bundle.entry
        return entry.log_index if entry.inclusion_promise else entry.inclusion_proof.log_index

    # 3. Time
    def establish_time(self, log: LogKey) -> list[VerifiedTime]:
        # A timestamp that does not verify buys nothing and is set aside, as sigstore-python
        # and sigstore-go do: bundles may carry tokens from TSAs this site does not trust.
        # It cannot weaken the decision: at least one verified time is still required, and
        # the certificate must be valid at every verified time.
        times, ignored = [], []
        for index, token in enumerate(self.bundle.timestamps):
            try:
                times.append(
                    verify_rfc3161_timestamp(token, self.bundle.signature, self.trust_root, index)
                )
            except UntrustedTimestamp as untrusted:
                ignored.append(str(untrusted))
        entry = self.bundle.entry
        if entry.inclusion_promise is not None and entry.integrated_time is not None:
            try:
                integrated = datetime.fromtimestamp(entry.integrated_time, tz=UTC)
            except (OverflowError, ValueError, OSError) as exc:
                raise VerificationFailure(
                    f"integrated time {entry.integrated_time} is not a representable date",
                    check="time",
                ) from exc
            times.append(VerifiedTime(source="tlog", time=integrated, authority=log.base_url))
        if not times:
            raise VerificationFailure(
                "no verified time: expected a verified inclusion promise or an RFC 3161 timestamp "
                "from a trusted TSA, got none" + "".join(f"; {why}" for why in ignored),
                check="time",
            )
        for verified in times:
            if verified.time > self.now + MAX_CLOCK_SKEW:
                raise VerificationFailure(
                    f"{verified.source} time {verified.time.isoformat()} from "
                    f"{verified.authority} is in the future (now {self.now.isoformat()})",
                    check="time",
                )
        # The log key must have been valid when the entry was made; a v2 entry has no
        # integrated time, so the timestamps stand in for it.
        log_times = [t for t in times if t.source == "tlog"] or times
        for verified in log_times:
            if not log.validity.contains(verified.time):
                raise VerificationFailure(
                    f"log key of {log.base_url}: trusted during {log.validity}, entry time "
                    f"{verified.time.isoformat()}",
                    check="time",
                )
        self.passed(
            "time",
            "; ".join(
                [f"{t.source} {t.time.isoformat()} ({t.authority})" for t in times]
                + [f"ignored: {why}" for why in ignored]
            ),
        )
        return times

    # 4. Signer: certificate
    def verify_certificate(self, leaf: x509.Certificate, times: list[VerifiedTime]) -> None:
        chain: list[x509.Certificate] = []
        for verified in times:
            start, end = leaf.not_valid_before_utc, leaf.not_valid_after_utc
            if not start <= verified.time <= end:
                raise VerificationFailure(
                    f"signing certificate valid [{start.isoformat()}, {end.isoformat()}], "
                    f"but signature time from {verified.source} is {verified.time.isoformat()}",
                    check="certificate",
                )
            chain = cert_checks.verify_chain(leaf, self.trust_root, verified.time)
        cert_checks.check_fulcio_profile(leaf)
        self.passed(
            "certificate",
            f"chains to {chain[-1].subject.rfc4514_string() if chain else '?'}; "
            f"valid at every verified time",
        )
        sct_time = cert_checks.verify_embedded_sct(leaf, chain[0], self.trust_root)
        self.passed("sct", f"embedded SCT from a trusted CT log at {sct_time.isoformat()}")

    # 4. Signer: managed key
    def select_key(self) -> _KeyMatch:
        keys = [s for s in self.signers if isinstance(s.rule, PublicKeySigner)]
        if not keys:
            raise VerificationFailure(
                "bundle is signed by a managed key, but no public key was given to verify it "
                "against",
                check="signer",
            )
        for named in keys:
            assert isinstance(named.rule, PublicKeySigner)
            if self.signature_valid(named.rule.key):
                self.passed("signature", f"valid under {named.describe()}")
                return _KeyMatch(named, named.rule.key, named.rule.key_id)
        raise VerificationFailure(
            "signature: expected a signature by "
            + " or ".join(named.describe() for named in keys)
            + ", got one that verifies under none of them",
            check="signature",
        )

    # 5. Signature
    def signature_valid(self, key: object) -> bool:
        content = self.bundle.content
        algorithm: hashes.HashAlgorithm | Prehashed | None
        if isinstance(content, DsseContent):
            data, algorithm = pae(content.payload_type, content.payload), dsse_hash(key)
        else:
            if content.digest is not None and (
                content.digest_algorithm != "SHA2_256" or content.digest != self.artifact.sha256
            ):
                raise VerificationFailure(
                    f"bundle message digest: expected sha256 {self.artifact.sha256.hex()}, "
                    f"got {content.digest_algorithm} {content.digest.hex()}",
                    check="signature",
                )
            data, algorithm = self.artifact.sha256, Prehashed(hashes.SHA256())
        if not isinstance(key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
            # Bundles carry ECDSA or RSA signatures (prehashed for message signatures); any
            # other key, such as an Ed25519 policy key, simply did not make this one.
            return False
        return verify_signature(key, self.bundle.signature, data, algorithm=algorithm)

    def verify_signature(self, key: object) -> None:
        if not isinstance(key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
            raise VerificationFailure(
                f"signature: expected an ECDSA or RSA signing key, got {type(key).__name__}",
                check="signature",
            )
        if not self.signature_valid(key):
            what = (
                "DSSE envelope"
                if isinstance(self.bundle.content, DsseContent)
                else (f"artifact {self.artifact.digest_text}")
            )
            raise VerificationFailure(
                f"signature does not verify over the {what} under the signing certificate's key",
                check="signature",
            )
        self.passed("signature", "valid under the signing certificate's key")

    # 7. Subject
    def verify_subject(self) -> tuple[Statement, SubjectMatch] | None:
        content = self.bundle.content
        if not isinstance(content, DsseContent):
            return None
        if content.payload_type != IN_TOTO_PAYLOAD_TYPE:
            raise VerificationFailure(
                f"DSSE payload type: expected {IN_TOTO_PAYLOAD_TYPE}, got {content.payload_type}",
                check="subject",
            )
        statement = parse_statement(content.payload)
        # A PyPI publish attestation is about a distribution file by name, whatever carries
        # it: converted to a plain bundle, it must not lose its name binding.
        if isinstance(self.bundle, Pep740Bundle) or statement.predicate_type == PUBLISH_V1:
            # Imported here: only a PyPI attestation needs distribution file names (and the
            # `packaging` library); `verify` of any other bundle loads neither
            # (tests/test_import_budgets.py).
            from provenance.verification.distribution_subject import (  # noqa: PLC0415
                require_distribution_subject,
            )

            match = require_distribution_subject(statement, self.artifact)
            how = f"sha256 and file name {match.names[0]!r}, PEP 740"
        else:
            match = require_subject(statement, self.artifact)
            how = match.algorithm
        self.passed(
            "subject",
            f"in-toto statement ({statement.predicate_type}) names the artifact ({how})",
        )
        return statement, match

    # 8. Identity
    def identity_rules(self) -> list[tuple[NamedSigner, SigstoreIdentity | TrustedPublisher]]:
        """Keyless rules (identities, PyPI trusted publishers) this trust root may vouch for:
        a CA of one instance must not be able to certify the identities a policy expects from
        another."""
        return [
            (named, named.rule)
            for named in self.signers
            if isinstance(named.rule, SigstoreIdentity | TrustedPublisher)
            and named.rule.vouched_by(self.trust_root.name)
        ]

    def match_identity(
        self, leaf: x509.Certificate
    ) -> tuple[NamedSigner, cert_checks.SignerIdentity]:
        who = cert_checks.signer_identity(leaf)
        rules = self.identity_rules()
        why_not = []
        for named, rule in rules:
            if isinstance(rule, SigstoreIdentity):
                matched = rule.identity.matches(who.identity) and rule.issuer.matches(who.issuer)
            else:
                mismatch = rule.mismatch(leaf)
                matched = mismatch is None
                why_not += [f"not {rule.publisher.describe()}: {mismatch}"] if mismatch else []
            if matched:
                owner = f"vendor {named.vendor}" if named.vendor else "the expected identity"
                what = "" if isinstance(rule, SigstoreIdentity) else f" ({rule.describe()})"
                self.passed("identity", f"{who.identity} ({who.issuer}) matches {owner}{what}")
                return named, who
        expected = " or ".join(named.describe() for named, _rule in rules)
        raise VerificationFailure(
            f"signer: expected {expected}, got identity {who.identity!r} "
            f"from issuer {who.issuer!r}" + "".join(f"; {reason}" for reason in why_not),
            check="identity",
        )

    def fact(
        self,
        log: LogKey,
        times: list[VerifiedTime],
        matched: NamedSigner | _KeyMatch,
        subject: tuple[Statement, SubjectMatch] | None,
        *,
        who: cert_checks.SignerIdentity | None = None,
        key_id: str | None = None,
    ) -> SignatureFact:
        named = matched.named if isinstance(matched, _KeyMatch) else matched
        entry = self.bundle.entry
        integrated = [t.time for t in times if t.source == "tlog"]
        return SignatureFact(
            artifact_sha256=self.artifact.sha256.hex(),
            signer_kind="sigstore-identity" if who is not None else "key",
            identity=who.identity if who else None,
            issuer=who.issuer if who else None,
            key_id=key_id,
            matched_rule=named.rule.describe(),
            vendor=named.vendor,
            signed_at=min(t.time for t in times),
            integrated_time=integrated[0] if integrated else None,
            rfc3161_times=tuple(t.time for t in times if t.source == "rfc3161"),
            log_index=self.log_index(),
            log_id=entry.log_id.key_id.hex(),
            log_url=log.base_url,
            trust_root=self.trust_root.name,
            bundle=self.bundle.source,
            bundle_media_type=self.bundle.media_type,
            log_entry_kind=entry_kind(self.bundle),
            content="dsse" if isinstance(self.bundle.content, DsseContent) else "message-signature",
            predicate_type=subject[0].predicate_type if subject else None,
            subject_names=subject[1].names if subject else (),
            other_subjects=subject[1].others if subject else 0,
        )


def _bundle_detail(bundle: ParsedBundle) -> str:
    what = f"v{bundle.version} bundle, {entry_kind(bundle)} log entry"
    if not isinstance(bundle, Pep740Bundle):
        return what
    # The publisher a provenance object names is PyPI's unsigned word: shown, never used.
    said = f"; PyPI names the publisher {bundle.publisher} (unsigned)" if bundle.publisher else ""
    return f"PEP 740 attestation as a {what}{said}"


def _statement(subject: tuple[Statement, SubjectMatch] | None) -> Statement | None:
    return subject[0] if subject is not None else None
