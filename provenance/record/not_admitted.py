"""Why a file is not admitted, and what to do: the technician's side of `check`'s "no".

`signed_admission` decides; this only explains, from records the site key signed (anything
unsigned is skipped, so an edited log can change no explanation into a wrong "yes"):

- denied at admission: the gate's signed "deny" of this digest for this segment, with its
  reason and date;
- admitted to other segments: each one confirmed by `answer_from_signed_records`;
- never seen: no signed record of this digest at all.

`unknown_segment` tells a typo from a segment with no admissions yet: a name that neither the
policy (when given), the admissions, nor any audit record knows is a usage error (exit 2),
with the closest known names.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Sequence

from provenance.record._time import format_time
from provenance.record.audit import record_hash, signed_message
from provenance.record.audit_event import AuditEvent
from provenance.record.audit_keys import key_signature_check
from provenance.record.ledger import Ledger
from provenance.record.signed_admission import AdmissionAnswer, answer_from_signed_records
from provenance.verification.signers import PublicKeySigner

__all__ = ["explain_not_admitted", "next_step_for", "unknown_segment"]

_REQUIRE_ADMIT = "run `provenance admit FILE --policy P --segment {segment}` at the gate"


def _signed_events(
    ledger: Ledger, digest: str, site_keys: Sequence[PublicKeySigner]
) -> Iterable[tuple[int, AuditEvent]]:
    check = key_signature_check(site_keys)
    for record in ledger.audit_records_mentioning(digest):
        if record.signature is None:
            continue
        content = record_hash(record.seq, record.prev_hash, record.event_json)
        if check(signed_message(content), record.signature) is None:
            continue
        try:
            event = record.event()
        except ValueError:
            continue
        if event.artifact_sha256 == digest:
            yield record.seq, event


def explain_not_admitted(
    ledger: Ledger, digest: str, segment: str, site_keys: Sequence[PublicKeySigner]
) -> str:
    """One line: what the signed records say about this digest, and the next step."""
    denied: tuple[int, AuditEvent] | None = None
    elsewhere: set[str] = set()
    for seq, event in _signed_events(ledger, digest, site_keys):
        if event.segment == segment and event.kind == "deny":
            denied = (seq, event)
        elif event.segment not in (segment, None) and event.kind == "admit":
            elsewhere.add(str(event.segment))
    admitted = [
        other
        for other in sorted(elsewhere)
        if answer_from_signed_records(ledger, digest, other, site_keys).admitted
    ]
    parts = []
    if denied is not None:
        seq, event = denied
        parts.append(
            f"the gate denied it on {format_time(event.at)} (signed record {seq}): "
            f"{event.reason or 'no reason recorded'}"
        )
    if admitted:
        parts.append(f"it is admitted to {', '.join(admitted)} only")
    if denied is not None:
        step = (
            "have the vendor or the gate operator fix what the denial names, then "
            + _REQUIRE_ADMIT.format(segment=segment)
        )
    elif admitted:
        step = f"install it only there, or {_REQUIRE_ADMIT.format(segment=segment)}"
    else:
        parts.append(f"this gate has no signed record of sha256:{digest}")
        step = "check this is the file the vendor shipped, then " + _REQUIRE_ADMIT.format(
            segment=segment
        )
    return f"not admitted to {segment}: {'; '.join(parts)}. Next: {step}"


def next_step_for(answer: AdmissionAnswer, segment: str) -> str:
    """`answer`'s reason (a row exists, but it does not count), with what to do."""
    if answer.why_not == "withdrawn":
        step = "the gate withdrew the admission: fix what the denial names, then " + (
            _REQUIRE_ADMIT.format(segment=segment)
        )
    else:
        step = (
            "the ledger was changed after the gate signed it: run `provenance audit verify` at "
            "the gate and have the file admitted again"
        )
    return f"{answer.reason}. Next: {step}"


def unknown_segment(
    ledger: Ledger, segment: str, policy_segments: Sequence[str] = ()
) -> str | None:
    """Why `segment` is no segment of this site (a usage error), or None if it is one."""
    if policy_segments:
        if segment in policy_segments:
            return None
        known = list(policy_segments)
    else:
        known = ledger.segments_with_admissions()
        pair = json.dumps({"segment": segment}, ensure_ascii=True, separators=(",", ":"))[1:-1]
        if segment in known or ledger.audit_log_mentions(pair):
            return None
    prefixed = [name for name in known if name.startswith(segment)]
    close = list(
        dict.fromkeys([*prefixed, *difflib.get_close_matches(segment, known, cutoff=0.6)])
    )[:3]
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    if policy_segments:
        return (
            f"unknown segment {segment!r}: the policy has no such segment{hint}; its "
            f"segments: {', '.join(known)}"
        )
    listed = f"; it has decided for {', '.join(known)}" if known else ""
    return (
        f"unknown segment {segment!r}: this gate has made no decision for it{hint}{listed} "
        "(give --policy to check against the policy's segments)"
    )
