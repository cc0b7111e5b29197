"""DSSE: the pre-authentication encoding that signatures cover."""

from __future__ import annotations

__all__ = ["pae"]


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 PAE: "DSSEv1" SP len(type) SP type SP len(body) SP body."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %b %d %b" % (len(kind), kind, len(payload), payload)
