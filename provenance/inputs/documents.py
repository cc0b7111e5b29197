"""Evidence that is not a file of the delivery: bytes with where they came from."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["EvidenceDocument"]


@dataclass(frozen=True)
class EvidenceDocument:
    """Evidence that is not a file here (fetched from an attestation API): its bytes and
    where they came from. Verified exactly like a file."""

    source: str
    data: bytes
