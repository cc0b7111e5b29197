"""Approvals by site staff and this site's own VSAs: DSSE envelopes signed with plain keys.

Both are checked the same way: a signature by a key the policy names, an in-toto Statement
of the expected predicate type whose subjects include the artifact digest, then the
predicate's fields.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from provenance.errors import EvidenceError, VerificationFailure
from provenance.evidence.dsse_envelope import Envelope, parse_envelope
from provenance.evidence.in_toto import IN_TOTO_PAYLOAD_TYPE, Statement, parse_statement
from provenance.evidence.site_predicates import (
    APPROVAL_PREDICATE_TYPE,
    SEGMENT_LEVEL_PREFIX,
    VERIFIER_ID,
    VSA_PREDICATE_TYPE,
)
from provenance.facts import ApprovalFact
from provenance.transparency.inclusion import LogInclusion
from provenance.verification.dsse_keys import signers_of, unverified_detail
from provenance.verification.signers import PublicKeySigner

__all__ = ["SiteVsa", "VerifiedVsa", "read_site_vsa", "verify_approval", "verify_vsa"]

_APPROVAL_FIELDS = {"group", "segment", "approver", "comment", "approvedAt"}


def _statement(
    envelope: Envelope, source: str, predicate_type: str, sha256_hex: str | None
) -> Statement:
    if envelope.payload_type != IN_TOTO_PAYLOAD_TYPE:
        raise EvidenceError(
            f"{source}: expected payload type {IN_TOTO_PAYLOAD_TYPE}, got {envelope.payload_type}",
            check="envelope",
        )
    statement = parse_statement(envelope.payload)
    if statement.predicate_type != predicate_type:
        raise EvidenceError(
            f"{source}: expected predicate type {predicate_type}, got {statement.predicate_type}",
            check="envelope",
        )
    if sha256_hex is not None and not statement.names_sha256(bytes.fromhex(sha256_hex)):
        raise VerificationFailure(
            f"{source}: expected a statement about sha256:{sha256_hex}, got one about "
            + ", ".join(f"sha256:{s.digest.get('sha256', '-')}" for s in statement.subjects[:3]),
            check="subject",
        )
    return statement


def _time(value: object, source: str, what: str) -> datetime:
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if moment.tzinfo is not None:
                return moment
    raise EvidenceError(f"{source}: {what} is not an RFC 3339 time: {value!r}", check="envelope")


def verify_approval(
    data: bytes,
    source: str,
    *,
    artifact_sha256: str,
    group_members: Mapping[str, Mapping[str, PublicKeySigner]],
) -> list[ApprovalFact]:
    """One fact per member of the approval's group whose key signed it; fails if none did.

    The signature is checked first, against every member key the policy names, so nothing
    an outsider wrote is parsed; then the statement, and that the signers belong to the group
    the signed statement names (an approval for one group never counts for another).
    """
    envelope = parse_envelope(data, source)
    every_member = [key for members in group_members.values() for key in members.values()]
    signed = signers_of(envelope, every_member)
    if not signed:
        encodings = unverified_detail([s.sig for s in envelope.signatures], every_member)
        raise VerificationFailure(
            f"{source}: expected a signature by a member of a site group "
            f"({', '.join(sorted(group_members)) or 'the policy defines none'}), got none that "
            "verifies" + (f" ({encodings})" if encodings else ""),
            check="approval",
        )
    statement = _statement(envelope, source, APPROVAL_PREDICATE_TYPE, artifact_sha256)
    predicate: Any = statement.predicate
    if not isinstance(predicate, dict) or set(predicate) != _APPROVAL_FIELDS:
        raise EvidenceError(
            f"{source}: approval predicate must have exactly {', '.join(sorted(_APPROVAL_FIELDS))}",
            check="approval",
        )
    if not all(isinstance(predicate[k], str) for k in _APPROVAL_FIELDS):
        raise EvidenceError(f"{source}: approval fields must be strings", check="approval")
    group = predicate["group"]
    members = group_members.get(group)
    if members is None:
        raise VerificationFailure(
            f"{source}: approval on behalf of group {group!r}, which the policy does not define",
            check="approval",
        )
    by_key = {member.key_id: name for name, member in members.items()}
    in_group = [key for key in signed if key.key_id in by_key]
    if not in_group:
        raise VerificationFailure(
            f"{source}: expected a signature by a member of {group} "
            f"({', '.join(sorted(members))}), got one by a member of another group",
            check="approval",
        )
    approved_at = _time(predicate["approvedAt"], source, "approvedAt")
    return [
        ApprovalFact(
            artifact_sha256=artifact_sha256,
            group=group,
            member=by_key[key.key_id],
            key_id=key.key_id,
            segment=predicate["segment"],
            approved_at=approved_at,
            comment=predicate["comment"],
            source=source,
        )
        for key in in_group
    ]


@dataclass(frozen=True)
class VerifiedVsa:
    segment: str
    verified_at: datetime
    policy_uri: str
    policy_sha256: str
    signed_by: str  # key id
    audit_log: LogInclusion | None  # where the admission's record sits in the site's log


@dataclass(frozen=True)
class SiteVsa:
    """A VSA this site's key signed, read without knowing its artifact in advance."""

    subject_sha256: tuple[str, ...]
    segments: tuple[str, ...]
    predicate: dict[str, Any]
    signed_by: str  # key id
    audit_log: LogInclusion | None


def read_site_vsa(data: bytes, source: str, *, site_keys: Sequence[PublicKeySigner]) -> SiteVsa:
    """A VSA signed by a site key, from this gate, PASSED; its subjects, segments, log entry.

    1. The DSSE signature, by one of `site_keys` (nothing unsigned is parsed further).
    2. An in-toto Statement of the VSA predicate type, verifier `VERIFIER_ID`, PASSED.
    3. `auditLog`, when present, parsed strictly (`LogInclusion.from_json`); verifying it
       against its checkpoint is the caller's step (`LogInclusion.verify`).
    """
    envelope = parse_envelope(data, source)
    signed = signers_of(envelope, site_keys)
    if not signed:
        encodings = unverified_detail([s.sig for s in envelope.signatures], site_keys)
        raise VerificationFailure(
            f"{source}: expected a signature by the site key "
            f"({', '.join(k.key_id for k in site_keys)}), got none that verifies"
            + (f" ({encodings})" if encodings else ""),
            check="vsa",
        )
    statement = _statement(envelope, source, VSA_PREDICATE_TYPE, None)
    predicate: Any = statement.predicate
    if not isinstance(predicate, dict):
        raise EvidenceError(f"{source}: VSA predicate is not an object", check="vsa")
    verifier = predicate.get("verifier")
    if not isinstance(verifier, dict) or verifier.get("id") != VERIFIER_ID:
        raise VerificationFailure(
            f"{source}: expected a VSA by verifier {VERIFIER_ID}, got {verifier!r}", check="vsa"
        )
    if predicate.get("verificationResult") != "PASSED":
        raise VerificationFailure(
            f"{source}: expected verificationResult PASSED, got "
            f"{predicate.get('verificationResult')!r}",
            check="vsa",
        )
    levels = predicate.get("verifiedLevels")
    segments = tuple(
        level.removeprefix(SEGMENT_LEVEL_PREFIX)
        for level in (levels if isinstance(levels, list) else [])
        if isinstance(level, str) and level.startswith(SEGMENT_LEVEL_PREFIX)
    )
    audit_log = predicate.get("auditLog")
    return SiteVsa(
        subject_sha256=tuple(
            digest
            for subject in statement.subjects
            if isinstance(digest := subject.digest.get("sha256"), str)
        ),
        segments=segments,
        predicate=predicate,
        signed_by=signed[0].key_id,
        audit_log=None if audit_log is None else LogInclusion.from_json(audit_log, source),
    )


def verify_vsa(
    data: bytes,
    source: str,
    *,
    artifact_sha256: str,
    segment: str,
    site_keys: Sequence[PublicKeySigner],
) -> VerifiedVsa:
    """This site's VSA admitting exactly this digest to exactly this segment."""
    vsa = read_site_vsa(data, source, site_keys=site_keys)
    if artifact_sha256 not in vsa.subject_sha256:
        raise VerificationFailure(
            f"{source}: expected a statement about sha256:{artifact_sha256}, got one about "
            + ", ".join(f"sha256:{digest}" for digest in vsa.subject_sha256[:3]),
            check="subject",
        )
    predicate = vsa.predicate
    wanted = SEGMENT_LEVEL_PREFIX + segment
    if segment not in vsa.segments:
        raise VerificationFailure(
            f"{source}: expected a VSA admitting to segment {segment} ({wanted}), got one "
            f"admitting to {', '.join(vsa.segments) or 'no segment'}: use the VSA the gate "
            f"issued for {segment}, or admit the file to it",
            check="vsa",
        )
    policy = predicate.get("policy")
    policy_digest = policy.get("digest", {}) if isinstance(policy, dict) else {}
    return VerifiedVsa(
        segment=segment,
        verified_at=_time(predicate.get("timeVerified"), source, "timeVerified"),
        policy_uri=str(policy.get("uri", "")) if isinstance(policy, dict) else "",
        policy_sha256=str(policy_digest.get("sha256", ""))
        if isinstance(policy_digest, dict)
        else "",
        signed_by=vsa.signed_by,
        audit_log=vsa.audit_log,
    )
