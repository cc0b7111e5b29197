"""How facts appear in a finding's evidence: JSON-able, enough for an auditor to retrace."""

from __future__ import annotations

from typing import Any

from provenance.facts import ApprovalFact, SignatureFact

__all__ = ["approval_evidence", "signature_evidence", "time_source"]


def time_source(fact: SignatureFact) -> str:
    """Who vouches for `signed_at`: a timestamp authority (RFC 3161, or a legacy
    countersignature), a transparency log, or nobody, and then validity was judged at the
    gate's clock (a signer's own signing time is never evidence)."""
    if fact.signed_at is None:
        return "gate-clock"
    if fact.integrated_time is not None and fact.signed_at == fact.integrated_time:
        return "transparency-log"
    return "timestamp-authority"


def signature_evidence(fact: SignatureFact) -> dict[str, Any]:
    return {
        "vendor": fact.vendor,
        "signer": fact.identity or fact.key_id,
        # The policy's name for it (key file, certificate, OpenPGP key): how people know it.
        "signer_rule": fact.matched_rule,
        "issuer": fact.issuer,
        "signed_at": fact.signed_at.isoformat() if fact.signed_at else None,
        "time_source": time_source(fact),
        "log_index": fact.log_index,
        "log": fact.log_url,
        "bundle": fact.bundle,
        "content": fact.content,
    }


def approval_evidence(fact: ApprovalFact) -> dict[str, Any]:
    return {
        "member": fact.member,
        "group": fact.group,
        "key_id": fact.key_id,
        "approved_at": fact.approved_at.isoformat(),
        "comment": fact.comment,
        "source": fact.source,
    }
