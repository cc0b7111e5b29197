"""What an audit record contains: the one contract the gate fills and auditors read.

NERC CIP-010-4 R1.6 asks, before a baseline change, to verify the identity of the software
source and the integrity of the software, and to keep evidence. An `AuditEvent` therefore says:

- when (`at`), what (`artifact_name`, `artifact_sha256`), where to (`segment`), the outcome
  (`kind`, and `decision` derived from it), and who ran the gate (`operator`);
- who the source was and how that was verified: one `SignerEvidence` per verified signature
  (identity and issuer, or key id; the transparency log entry and its index; the signing time;
  the trust root; the evidence file);
- site approvals (two-person rule): one `ApprovalEvidence` per verified approval;
- under which rules: the policy file and its SHA-256 (`PolicyRef`), and each rule's finding;
- `details`: anything else, as JSON.

Serialised as canonical JSON (keys sorted, no whitespace, ASCII only, no NaN), which is what the
audit chain hashes. `from_json` parses strictly: unknown or missing fields are errors.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, get_args

from provenance.record._time import format_time, parse_time

__all__ = [
    "EVENT_FORMAT",
    "ApprovalEvidence",
    "AuditEvent",
    "EventKind",
    "FindingSummary",
    "MalformedEvent",
    "PolicyRef",
    "SignerEvidence",
    "canonical_json",
    "require_sha256_hex",
]

EVENT_FORMAT = 1
EventKind = Literal["admit", "deny", "approve", "trust-import"]
_KIND_OF_TEXT: Mapping[str, EventKind] = {
    "admit": "admit",
    "deny": "deny",
    "approve": "approve",
    "trust-import": "trust-import",
}
_KINDS: tuple[str, ...] = get_args(EventKind)
_DECISION_OF_KIND: Mapping[str, str] = {
    "admit": "allow",
    "deny": "deny",
    "approve": "approval",
    "trust-import": "trust",
}
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class MalformedEvent(ValueError):
    """Stored event JSON that is not a valid `AuditEvent` (says which field and why)."""


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, ASCII only; NaN and infinities are refused."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    )


def require_sha256_hex(value: str, what: str) -> None:
    """`ValueError` unless `value` is 64 lowercase hexadecimal digits."""
    if not _SHA256_HEX.fullmatch(value):
        raise ValueError(f"{what}: expected 64 lowercase hexadecimal digits, got {value!r}")


@dataclass(frozen=True)
class PolicyRef:
    """The policy file a decision was made under, and the SHA-256 of its bytes."""

    path: str
    sha256: str  # hex

    def __post_init__(self) -> None:
        require_sha256_hex(self.sha256, "policy sha256")


@dataclass(frozen=True)
class SignerEvidence:
    """One verified signature over the artifact: who the source was, and how it was checked.

    `method` names the mechanism: "sigstore-identity" (certificate identity + OIDC issuer,
    transparency log entry), "key" (a vendor's public key), later "x509", "checksum-list".
    """

    method: str
    identity: str | None = None
    issuer: str | None = None
    key_id: str | None = None
    vendor: str | None = None
    signed_at: datetime | None = None
    log_index: int | None = None
    log_url: str | None = None
    trust_root: str | None = None
    evidence_file: str | None = None

    def describe(self) -> str:
        """The signer in words, e.g. `identity X (issuer Y)` or `key sha256:...`."""
        parts = []
        if self.identity is not None:
            parts.append(f"identity {self.identity}")
            if self.issuer is not None:
                parts.append(f"(issuer {self.issuer})")
        if self.key_id is not None:
            parts.append(f"key {self.key_id}")
        if self.vendor is not None:
            parts.append(f"[vendor {self.vendor}]")
        return " ".join(parts) or self.method


@dataclass(frozen=True)
class ApprovalEvidence:
    """A verified approval by a member of a site group (two-person rule)."""

    member: str
    group: str
    key_id: str
    approved_at: datetime
    comment: str = ""


@dataclass(frozen=True)
class FindingSummary:
    """One rule's finding: passed or not, and why ("expected X, got Y")."""

    rule: str
    passed: bool
    reason: str


@dataclass(frozen=True)
class AuditEvent:
    """One event for the audit log. `kind`: "admit" (allowed and admitted), "deny" (denied;
    nothing admitted), "approve" (a site approval was recorded), "trust-import" (a Sigstore
    trust root verified through TUF was installed; the artifact is its trusted_root.json)."""

    kind: EventKind
    at: datetime
    artifact_name: str
    artifact_sha256: str  # hex
    segment: str | None
    policy: PolicyRef | None = None
    product: str | None = None
    version: str | None = None
    signers: tuple[SignerEvidence, ...] = ()
    approvals: tuple[ApprovalEvidence, ...] = ()
    findings: tuple[FindingSummary, ...] = ()
    reason: str | None = None
    operator: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"audit event kind: expected one of {_KINDS}, got {self.kind!r}")
        require_sha256_hex(self.artifact_sha256, "audit event artifact_sha256")
        format_time(self.at)  # refuses naive datetimes
        if self.kind == "admit" and (self.segment is None or self.policy is None):
            raise ValueError("an 'admit' audit event names its segment and policy; got none")

    @property
    def decision(self) -> str:
        """One of "allow", "deny", "approval" or "trust", derived from `kind`."""
        return _DECISION_OF_KIND[self.kind]

    def to_json(self) -> str:
        """The canonical JSON the audit chain hashes."""
        return canonical_json(self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": EVENT_FORMAT,
            "kind": self.kind,
            "at": format_time(self.at),
            "artifact_name": self.artifact_name,
            "artifact_sha256": self.artifact_sha256,
            "segment": self.segment,
            "policy": None
            if self.policy is None
            else {"path": self.policy.path, "sha256": self.policy.sha256},
            "product": self.product,
            "version": self.version,
            "signers": [_signer_dict(signer) for signer in self.signers],
            "approvals": [_approval_dict(approval) for approval in self.approvals],
            "findings": [
                {"rule": f.rule, "passed": f.passed, "reason": f.reason} for f in self.findings
            ],
            "reason": self.reason,
            "operator": self.operator,
            "details": dict(self.details),
        }

    @classmethod
    def from_json(cls, text: str) -> AuditEvent:
        """Parse strictly; raises `ValueError` saying what is wrong."""
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise MalformedEvent(f"not JSON ({exc})") from exc
        fields = _Fields(document, "event")
        event_format = fields.integer("format")
        if event_format != EVENT_FORMAT:
            raise MalformedEvent(
                f"event format: expected {EVENT_FORMAT}, got {event_format} (written by another "
                "release of provenance?)"
            )
        kind = _kind(fields.text("kind"))
        policy = fields.optional_object("policy")
        event = cls(
            kind=kind,
            at=fields.time("at"),
            artifact_name=fields.text("artifact_name"),
            artifact_sha256=fields.text("artifact_sha256"),
            segment=fields.optional_text("segment"),
            policy=None
            if policy is None
            else PolicyRef(path=policy.text("path"), sha256=policy.text("sha256")),
            product=fields.optional_text("product"),
            version=fields.optional_text("version"),
            signers=tuple(_signer_from(item) for item in fields.objects("signers")),
            approvals=tuple(_approval_from(item) for item in fields.objects("approvals")),
            findings=tuple(
                FindingSummary(
                    rule=item.text("rule"),
                    passed=item.boolean("passed"),
                    reason=item.text("reason"),
                )
                for item in fields.objects("findings")
            ),
            reason=fields.optional_text("reason"),
            operator=fields.optional_text("operator"),
            details=fields.mapping("details"),
        )
        fields.done()
        if policy is not None:
            policy.done()
        return event


def _kind(text: str) -> EventKind:
    kind = _KIND_OF_TEXT.get(text)
    if kind is None:
        raise MalformedEvent(f"event kind: expected one of {_KINDS}, got {text!r}")
    return kind


def _signer_dict(signer: SignerEvidence) -> dict[str, Any]:
    return {
        "method": signer.method,
        "identity": signer.identity,
        "issuer": signer.issuer,
        "key_id": signer.key_id,
        "vendor": signer.vendor,
        "signed_at": None if signer.signed_at is None else format_time(signer.signed_at),
        "log_index": signer.log_index,
        "log_url": signer.log_url,
        "trust_root": signer.trust_root,
        "evidence_file": signer.evidence_file,
    }


def _signer_from(fields: _Fields) -> SignerEvidence:
    signer = SignerEvidence(
        method=fields.text("method"),
        identity=fields.optional_text("identity"),
        issuer=fields.optional_text("issuer"),
        key_id=fields.optional_text("key_id"),
        vendor=fields.optional_text("vendor"),
        signed_at=fields.optional_time("signed_at"),
        log_index=fields.optional_integer("log_index"),
        log_url=fields.optional_text("log_url"),
        trust_root=fields.optional_text("trust_root"),
        evidence_file=fields.optional_text("evidence_file"),
    )
    fields.done()
    return signer


def _approval_dict(approval: ApprovalEvidence) -> dict[str, Any]:
    return {
        "member": approval.member,
        "group": approval.group,
        "key_id": approval.key_id,
        "approved_at": format_time(approval.approved_at),
        "comment": approval.comment,
    }


def _approval_from(fields: _Fields) -> ApprovalEvidence:
    approval = ApprovalEvidence(
        member=fields.text("member"),
        group=fields.text("group"),
        key_id=fields.text("key_id"),
        approved_at=fields.time("approved_at"),
        comment=fields.text("comment"),
    )
    fields.done()
    return approval


class _Fields:
    """Strict access to a JSON object: each field read once, with its type checked."""

    def __init__(self, value: Any, where: str) -> None:
        if not isinstance(value, dict):
            raise MalformedEvent(f"{where}: expected an object, got {type(value).__name__}")
        self._value: dict[str, Any] = value
        self._where = where
        self._read: set[str] = set()

    def _get(self, name: str) -> Any:
        if name not in self._value:
            raise MalformedEvent(f"{self._where}.{name}: missing")
        self._read.add(name)
        return self._value[name]

    def _typed(self, name: str, kind: type, label: str, *, optional: bool) -> Any:
        value = self._get(name)
        if value is None and optional:
            return None
        # bool is an int in Python; a JSON true is not a number here.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise MalformedEvent(f"{self._where}.{name}: expected {label}, got {value!r}")
        return value

    def text(self, name: str) -> str:
        value: str = self._typed(name, str, "a string", optional=False)
        return value

    def optional_text(self, name: str) -> str | None:
        value: str | None = self._typed(name, str, "a string or null", optional=True)
        return value

    def integer(self, name: str) -> int:
        value: int = self._typed(name, int, "an integer", optional=False)
        return value

    def optional_integer(self, name: str) -> int | None:
        value: int | None = self._typed(name, int, "an integer or null", optional=True)
        return value

    def boolean(self, name: str) -> bool:
        value: bool = self._typed(name, bool, "true or false", optional=False)
        return value

    def time(self, name: str) -> datetime:
        text = self.text(name)
        try:
            return parse_time(text)
        except ValueError as exc:
            raise MalformedEvent(
                f"{self._where}.{name}: expected a UTC time like 2026-03-02T09:30:00.000000Z, "
                f"got {text!r}"
            ) from exc

    def optional_time(self, name: str) -> datetime | None:
        if self._value.get(name) is None:
            self._get(name)
            return None
        return self.time(name)

    def mapping(self, name: str) -> dict[str, Any]:
        value: dict[str, Any] = self._typed(name, dict, "an object", optional=False)
        return value

    def optional_object(self, name: str) -> _Fields | None:
        value = self._get(name)
        return None if value is None else _Fields(value, f"{self._where}.{name}")

    def objects(self, name: str) -> list[_Fields]:
        items: list[Any] = self._typed(name, list, "a list", optional=False)
        return [_Fields(item, f"{self._where}.{name}[{index}]") for index, item in enumerate(items)]

    def done(self) -> None:
        unknown = sorted(set(self._value) - self._read)
        if unknown:
            raise MalformedEvent(f"{self._where}: unknown field(s) {', '.join(unknown)}")
