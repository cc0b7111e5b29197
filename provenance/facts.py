"""Facts: claims that hold because their cryptography verified. Policy sees only these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

__all__ = ["ApprovalFact", "ProductVersion", "SignatureFact"]


@dataclass(frozen=True)
class SignatureFact:
    """This digest was signed by this signer, at this verified time, in this log entry."""

    artifact_sha256: str  # hex
    signer_kind: Literal["sigstore-identity", "key"]
    identity: str | None  # certificate SAN (keyless)
    issuer: str | None  # OIDC issuer (keyless)
    key_id: str | None  # "sha256:<hex of SPKI>" (managed key)
    matched_rule: str  # which signer rule admitted it, in words
    vendor: str | None  # the policy vendor owning that rule, if a policy was used
    signed_at: datetime  # earliest verified time
    integrated_time: datetime | None  # log's integrated time, if its promise verified
    rfc3161_times: tuple[datetime, ...]
    log_index: int
    log_id: str  # hex
    log_url: str
    trust_root: str
    bundle: str
    bundle_media_type: str
    log_entry_kind: str
    content: Literal["message-signature", "dsse"]
    predicate_type: str | None  # DSSE in-toto statements only


@dataclass(frozen=True)
class ApprovalFact:
    """A member of a site group signed an approval of this digest for this segment."""

    artifact_sha256: str  # hex
    group: str
    member: str  # the group member whose key verified the signature
    key_id: str
    segment: str
    approved_at: datetime  # as the approver's statement says (signed by the approver)
    comment: str
    source: str  # the approval file


@dataclass(frozen=True)
class ProductVersion:
    """The artifact's version and where it came from.

    `signed-identity`: the tag in a verified signer identity (`...@refs/tags/v4.2.1`);
    `operator`: declared on the command line by the person running the gate.
    """

    value: str
    source: Literal["signed-identity", "operator"]
