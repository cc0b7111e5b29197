"""DSSE envelopes signed with plain keys (approvals by site staff, the site's VSAs)."""

from __future__ import annotations

from collections.abc import Sequence

from provenance.evidence.dsse_envelope import Envelope
from provenance.verification.dsse import dsse_hash, pae
from provenance.verification.signatures import verify_signature
from provenance.verification.signers import PublicKeySigner

__all__ = ["signers_of"]


def signers_of(envelope: Envelope, keys: Sequence[PublicKeySigner]) -> list[PublicKeySigner]:
    """The keys (each at most once) with a valid signature on the envelope's PAE.

    Every signature is tried against every key: the keyid is an unauthenticated hint.
    """
    signed = pae(envelope.payload_type, envelope.payload)
    return [
        key
        for key in keys
        if any(
            verify_signature(key.key, sig.sig, signed, algorithm=dsse_hash(key.key))
            for sig in envelope.signatures
        )
    ]
