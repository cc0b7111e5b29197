"""The statements this site signs: approvals by staff, and Verification Summary Attestations.

Approval predicate (`APPROVAL_PREDICATE_TYPE`): who approved which digest, for which segment,
on behalf of which group, with a comment. VSA: SLSA verification_summary v1, stating that
this site's gate verified the artifact against a policy (by digest) and admitted it to a
segment, with the evidence it used, and (`auditLog`, a field SLSA consumers ignore) where its
audit record sits in the site's signed log: leaf index, record hash, checkpoint, inclusion
proof (`provenance.transparency.inclusion.LogInclusion`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from provenance import __version__
from provenance.evidence.site_predicates import (
    APPROVAL_PREDICATE_TYPE,
    SEGMENT_LEVEL_PREFIX,
    STATEMENT_V1,
    VERIFIER_ID,
    VSA_PREDICATE_TYPE,
)

__all__ = [
    "APPROVAL_PREDICATE_TYPE",
    "SEGMENT_LEVEL_PREFIX",
    "VERIFIER_ID",
    "VSA_PREDICATE_TYPE",
    "approval_statement",
    "vsa_statement",
]


def _time(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _subject(name: str, sha256_hex: str) -> list[dict[str, Any]]:
    return [{"name": name, "digest": {"sha256": sha256_hex}}]


def approval_statement(
    *,
    artifact_name: str,
    artifact_sha256: str,
    group: str,
    segment: str,
    approver: str,
    comment: str,
    approved_at: datetime,
) -> dict[str, Any]:
    return {
        "_type": STATEMENT_V1,
        "subject": _subject(artifact_name, artifact_sha256),
        "predicateType": APPROVAL_PREDICATE_TYPE,
        "predicate": {
            "group": group,
            "segment": segment,
            "approver": approver,
            "comment": comment,
            "approvedAt": _time(approved_at),
        },
    }


def vsa_statement(
    *,
    artifact_name: str,
    artifact_sha256: str,
    resource_uri: str,
    segment: str,
    policy_uri: str,
    policy_sha256: str,
    verified_at: datetime,
    inputs: Sequence[tuple[str, str]],  # (uri, sha256 hex) of each piece of evidence used
    audit_log: Mapping[str, Any] | None = None,  # `LogInclusion.to_json()`
) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "_type": STATEMENT_V1,
        "subject": _subject(artifact_name, artifact_sha256),
        "predicateType": VSA_PREDICATE_TYPE,
        "predicate": {
            "verifier": {"id": VERIFIER_ID, "version": {"ot-provenance": __version__}},
            "timeVerified": _time(verified_at),
            "resourceUri": resource_uri,
            "policy": {"uri": policy_uri, "digest": {"sha256": policy_sha256}},
            "inputAttestations": [
                {"uri": uri, "digest": {"sha256": digest}} for uri, digest in inputs
            ],
            "verificationResult": "PASSED",
            "verifiedLevels": [SEGMENT_LEVEL_PREFIX + segment],
        },
    }
    if audit_log is not None:
        statement["predicate"]["auditLog"] = dict(audit_log)
    return statement
