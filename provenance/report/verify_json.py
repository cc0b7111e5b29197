"""`provenance verify --format json`: a versioned, documented result for machines.

The schema is published at `provenance/report/schemas/verify-result.v1.schema.json`; a
change that breaks a consumer bumps `schema_version`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from provenance import __version__
from provenance.decision.verify_result import VerifyResult
from provenance.facts import SignatureFact

__all__ = ["SCHEMA", "SCHEMA_VERSION", "render_json", "result_to_dict", "signature_to_dict"]

SCHEMA_VERSION = 1
SCHEMA = "urn:ot-provenance:schema:verify-result:v1"


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def signature_to_dict(fact: SignatureFact) -> dict[str, Any]:
    return {
        "signer": {
            "kind": fact.signer_kind,
            "identity": fact.identity,
            "issuer": fact.issuer,
            "key_id": fact.key_id,
            "vendor": fact.vendor,
            "matched_rule": fact.matched_rule,
        },
        "signed_at": _time(fact.signed_at),
        "integrated_time": _time(fact.integrated_time),
        "rfc3161_times": [_time(t) for t in fact.rfc3161_times],
        "log": {"index": fact.log_index, "id": fact.log_id, "url": fact.log_url},
        "trust_root": fact.trust_root,
        "bundle": {
            "path": fact.bundle,
            "media_type": fact.bundle_media_type,
            "log_entry_kind": fact.log_entry_kind,
            "content": fact.content,
            "predicate_type": fact.predicate_type,
        },
    }


def result_to_dict(result: VerifyResult) -> dict[str, Any]:
    fact = result.fact
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "provenance", "version": __version__},
        "decision": result.decision,
        "reason": result.reason or None,
        "artifact": {
            "name": result.artifact.name,
            "sha256": result.artifact.sha256.hex(),
            "mode": "file" if result.artifact.path is not None else "digest",
        },
        "bundle": result.bundle,
        "signature": signature_to_dict(fact) if fact else None,
        "attempts": [
            {
                "trust_root": outcome.trust_root or None,
                "passed": outcome.passed,
                "checks": [
                    {"name": c.name, "passed": c.passed, "detail": c.detail} for c in outcome.checks
                ],
            }
            for outcome in result.outcomes
        ],
    }


def render_json(result: VerifyResult) -> str:
    return json.dumps(result_to_dict(result), indent=2) + "\n"
