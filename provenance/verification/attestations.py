"""in-toto attestations signed with vendor keys: standalone DSSE envelopes (`.intoto.json`,
one line of an `.intoto.jsonl`), possibly with several signatures and a threshold.

Sigstore-signed attestations are verified by the bundle verifier; both end as an
`AttestationFact` here, after the same statement checks.

The order keeps untrusted bytes away from parsers:
1. Find the policy's vendor key rules that the envelope's signatures satisfy (each key
   counted once; a threshold rule needs that many distinct keys). None: fail, unparsed.
2. The payload type must be in-toto's; the statement is parsed strictly.
3. A subject must carry the artifact's digest (SHA-256, or SHA-512 from the bytes).
4. SLSA predicates are parsed into claims; a malformed one fails the whole attestation.
"""

from __future__ import annotations

from collections.abc import Sequence

from provenance.errors import EvidenceError, VerificationFailure
from provenance.evidence.dsse_envelope import Envelope
from provenance.evidence.in_toto import IN_TOTO_PAYLOAD_TYPE, Statement, parse_statement
from provenance.evidence.slsa import parse_predicate
from provenance.facts import AttestationFact, SignatureFact
from provenance.inputs.artifact import Artifact
from provenance.verification.dsse_keys import encoding_note, signers_of, unverified_detail
from provenance.verification.signers import KeyThreshold, PublicKeySigner
from provenance.verification.sigstore.verifier import NamedSigner
from provenance.verification.subjects import require_subject

__all__ = ["attestation_fact", "verify_key_envelope"]


def verify_key_envelope(
    envelope: Envelope, source: str, artifact: Artifact, *, signers: Sequence[NamedSigner]
) -> list[AttestationFact]:
    """One fact per vendor whose key rule the envelope satisfies; raises if none does."""
    # 1. Signatures, before anything in the payload is read.
    key_rules = [n for n in signers if isinstance(n.rule, PublicKeySigner | KeyThreshold)]
    if not key_rules:
        raise VerificationFailure(
            f"{source}: a key-signed DSSE envelope, but the policy names no vendor keys",
            check="signature",
        )
    every_key = [key for named in key_rules for key in _keys(named)]
    valid = {key.key_id for key in signers_of(envelope, every_key)}
    matched: list[tuple[NamedSigner, list[PublicKeySigner]]] = []
    shortfalls = []
    for named in key_rules:
        signed = [key for key in _keys(named) if key.key_id in valid]
        needed = named.rule.threshold if isinstance(named.rule, KeyThreshold) else 1
        if len(signed) >= needed:
            matched.append((named, signed))
        elif isinstance(named.rule, KeyThreshold) and signed:
            shortfalls.append(f"{named.describe()}: only {len(signed)} signed")
    if not matched:
        encodings = unverified_detail([s.sig for s in envelope.signatures], every_key)
        detail = "; ".join(shortfalls) or (
            f"{len(envelope.signatures)} signature(s), none valid under a policy vendor key"
            + (f" ({encodings})" if encodings else "")
        )
        raise VerificationFailure(
            f"{source}: expected a signature by a vendor key of the policy, got {detail}",
            check="signature",
        )
    # 2-3. The statement, and that it is about this artifact.
    if envelope.payload_type != IN_TOTO_PAYLOAD_TYPE:
        raise EvidenceError(
            f"{source}: DSSE payload type: expected {IN_TOTO_PAYLOAD_TYPE}, "
            f"got {envelope.payload_type[:100]!r}",
            check="envelope",
        )
    statement = parse_statement(envelope.payload)
    subject = require_subject(statement, artifact)
    # 4. Claims, one fact per vendor (a vendor listed twice counts once).
    facts: dict[str | None, AttestationFact] = {}
    for named, keys in matched:
        # A key signature without a log or timestamp has no trusted time.
        notes = [note for key in keys if (note := encoding_note(envelope, key))]
        signature = SignatureFact.without_log(
            artifact_sha256=artifact.sha256.hex(),
            signer_kind="key",
            key_id=",".join(key.key_id for key in keys),
            matched_rule="; ".join([named.rule.describe(), *dict.fromkeys(notes)]),
            vendor=named.vendor,
            source=source,
            content="dsse",
            predicate_type=statement.predicate_type,
            subject_names=subject.names,
            other_subjects=subject.others,
        )
        facts.setdefault(named.vendor, attestation_fact(signature, statement, source))
    return list(facts.values())


def attestation_fact(
    signature: SignatureFact, statement: Statement, source: str
) -> AttestationFact:
    """The fact for a statement whose signature verified; raises on a malformed predicate."""
    try:
        claims = parse_predicate(statement.predicate_type, statement.predicate)
    except EvidenceError as malformed:
        raise EvidenceError(f"{source}: {malformed}", check="predicate") from malformed
    return AttestationFact(
        signature=signature,
        statement_type=statement.statement_type,
        predicate_type=statement.predicate_type,
        predicate=statement.predicate,
        claims=claims,
    )


def _keys(named: NamedSigner) -> tuple[PublicKeySigner, ...]:
    rule = named.rule
    if isinstance(rule, KeyThreshold):
        return rule.keys
    return (rule,) if isinstance(rule, PublicKeySigner) else ()
