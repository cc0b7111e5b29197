"""`provenance approve`: a staff member signs an approval of one artifact for one segment.

The approval is an in-toto Statement about the artifact's digest, in a DSSE envelope signed
with the member's key. Whether it counts is decided at admission, by the policy's group.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from provenance.clock import Clock, utc_now
from provenance.errors import InputError, UsageError
from provenance.inputs.artifact import artifact_from_argument
from provenance.inputs.files import require_regular_file
from provenance.signing.dsse import sign_statement
from provenance.signing.keys import load_signing_key
from provenance.signing.statements import approval_statement

__all__ = ["Approval", "approve"]

_SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


@dataclass(frozen=True)
class Approval:
    path: Path
    key_id: str
    artifact_sha256: str


def approve(
    artifact: str,
    *,
    key: Path,
    group: str,
    segment: str,
    comment: str,
    approver: str | None = None,
    out: Path | None = None,
    force: bool = False,
    clock: Clock = utc_now,
) -> Approval:
    for what, value in (("group", group), ("segment", segment)):
        if not _SLUG.fullmatch(value):
            raise UsageError(f"{what} {value!r}: expected a lowercase name like ot-security")
    if not comment.strip():
        raise UsageError("an approval needs a comment (a change ticket, what was reviewed)")
    subject = artifact_from_argument(artifact)
    signing_key = load_signing_key(key)
    name = subject.path.name if subject.path else subject.digest_text
    statement = approval_statement(
        artifact_name=name,
        artifact_sha256=subject.sha256.hex(),
        group=group,
        segment=segment,
        approver=approver or key.name.split(".")[0],
        comment=comment.strip(),
        approved_at=clock(),
    )
    envelope = sign_statement(statement, signing_key)
    short_id = signing_key.key_id.removeprefix("sha256:")[:12]
    if out is None:
        folder = subject.path.parent if subject.path else Path()
        out = folder / f"{name}.approval-{short_id}.json"
    _write_new(out, (json.dumps(envelope, indent=2) + "\n").encode(), force=force)
    return Approval(path=out, key_id=signing_key.key_id, artifact_sha256=subject.sha256.hex())


def _write_new(path: Path, data: bytes, *, force: bool) -> None:
    if force:  # replacing: what is there must be a file (a FIFO would block the write)
        require_regular_file(path, "the approval's output")
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    try:
        descriptor = os.open(path, flags, 0o644)
    except FileExistsError as exc:
        raise UsageError(f"{path}: already exists; not overwriting (use --force)") from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from exc
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
