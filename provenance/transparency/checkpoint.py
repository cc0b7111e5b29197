"""Checkpoints: C2SP tlog-checkpoint text in a C2SP signed note (https://c2sp.org/signed-note).

    <origin>\\n<tree size>\\n<base64 root hash>\\n[extension lines\\n]
    \\n
    \\u2014 <key name> <base64(4-byte key hint || signature)>\\n
    ...

The signed text is everything before the blank line, its last newline included. This is the
format Rekor, Go's sumdb and transparency-dev witnesses read; parsing here never trusts what it
reads (see `note_keys` for the signatures).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from provenance.errors import EvidenceError

__all__ = [
    "MAX_CHECKPOINT_BYTES",
    "Checkpoint",
    "checkpoint_body",
    "parse_checkpoint",
    "signature_line",
]

# A checkpoint is three lines plus a few extension lines and signatures; cap the work.
MAX_CHECKPOINT_BYTES = 64 * 1024
KEY_HINT_BYTES = 4
_CHECK = "checkpoint"
_SIGNATURE_LINE = re.compile(r"\u2014 (\S+) (\S+)")
_TREE_SIZE = re.compile(r"0|[1-9][0-9]{0,19}")
# Signed notes hold no ASCII control character but the newline (signed-note, "Format").
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")
# A key name: non-empty, no Unicode space, no plus sign.
_KEY_NAME = re.compile(r"[^\s+]+")


@dataclass(frozen=True)
class Checkpoint:
    """A parsed checkpoint; nothing in it is trusted until a signature over `body` verifies."""

    origin: str
    size: int
    root_hash: bytes
    body: bytes  # the signed text: everything up to and including the first blank line's "\n"
    signatures: tuple[tuple[str, bytes, bytes], ...]  # (key name, key hint, signature)
    note: str  # the whole signed note, as parsed


def checkpoint_body(origin: str, size: int, root_hash: bytes) -> str:
    """The checkpoint text a log signs: origin, tree size, root hash (no extension lines)."""
    if not _KEY_NAME.fullmatch(origin) or _CONTROL.search(origin):
        raise ValueError(f"checkpoint origin: expected no spaces, '+' or controls, got {origin!r}")
    if size < 0 or len(root_hash) != 32:
        raise ValueError(f"checkpoint: expected a size >= 0 and a 32-byte root, got {size}")
    return f"{origin}\n{size}\n{base64.b64encode(root_hash).decode()}\n"


def signature_line(key_name: str, key_hint: bytes, signature: bytes) -> str:
    """One signature line, newline included."""
    if len(key_hint) != KEY_HINT_BYTES or not _KEY_NAME.fullmatch(key_name):
        raise ValueError(f"signed note: bad key name {key_name!r} or key hint {key_hint.hex()}")
    encoded = base64.b64encode(key_hint + signature).decode()
    return f"\u2014 {key_name} {encoded}\n"


def parse_checkpoint(text: str) -> Checkpoint:
    """A C2SP signed note whose text is a tlog checkpoint: origin, size, root hash, extensions."""
    if len(text) > MAX_CHECKPOINT_BYTES:
        raise EvidenceError("checkpoint is implausibly large", check=_CHECK)
    if text.count("\n\n") != 1 or not text.endswith("\n"):
        raise EvidenceError(
            "checkpoint is not a signed note: expected text, one blank line, signature lines",
            check=_CHECK,
        )
    if _CONTROL.search(text):
        raise EvidenceError(
            "checkpoint holds an ASCII control character (a signed note holds none but newlines)",
            check=_CHECK,
        )
    split = text.index("\n\n")
    body, signature_block = text[: split + 1], text[split + 2 :]
    lines = body.split("\n")[:-1]
    if len(lines) < 3 or not lines[0]:
        raise EvidenceError(
            "checkpoint text must start with origin, tree size and root hash lines", check=_CHECK
        )
    origin, size_text, hash_text = lines[0], lines[1], lines[2]
    # ASCII digits, no leading zero, at most a uint64 (str.isdigit() admits other scripts).
    if not _TREE_SIZE.fullmatch(size_text) or int(size_text) >= 2**64:
        raise EvidenceError(f"checkpoint tree size {size_text!r} is not a number", check=_CHECK)
    root_hash = _b64(hash_text, "checkpoint root hash")
    if len(root_hash) != 32:
        raise EvidenceError("checkpoint root hash is not 32 bytes", check=_CHECK)
    signatures = []
    for line in signature_block.split("\n")[:-1]:
        match = _SIGNATURE_LINE.fullmatch(line)
        if match is None:
            raise EvidenceError(f"checkpoint signature line is malformed: {line!r}", check=_CHECK)
        raw = _b64(match.group(2), "checkpoint signature")
        if len(raw) <= KEY_HINT_BYTES:
            raise EvidenceError("checkpoint signature is too short", check=_CHECK)
        signatures.append((match.group(1), raw[:KEY_HINT_BYTES], raw[KEY_HINT_BYTES:]))
    if not signatures:
        raise EvidenceError("checkpoint carries no signature", check=_CHECK)
    return Checkpoint(
        origin=origin,
        size=int(size_text),
        root_hash=root_hash,
        body=body.encode(),
        signatures=tuple(signatures),
        note=text,
    )


def _b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise EvidenceError(f"{what} is not base64", check=_CHECK) from exc
