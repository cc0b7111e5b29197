"""Sign in-toto Statements into DSSE envelopes."""

from __future__ import annotations

import base64
import json
from typing import Any

from provenance.evidence.in_toto import IN_TOTO_PAYLOAD_TYPE
from provenance.signing.keys import SigningKey
from provenance.verification.dsse import pae

__all__ = ["sign_statement"]


def sign_statement(statement: dict[str, Any], key: SigningKey) -> dict[str, Any]:
    """A DSSE envelope (JSON-ready) over the statement, compact and key-sorted."""
    payload = json.dumps(statement, sort_keys=True, separators=(",", ":")).encode()
    signature = key.sign(pae(IN_TOTO_PAYLOAD_TYPE, payload))
    return {
        "payloadType": IN_TOTO_PAYLOAD_TYPE,
        "payload": base64.b64encode(payload).decode(),
        "signatures": [{"keyid": key.key_id, "sig": base64.b64encode(signature).decode()}],
    }
