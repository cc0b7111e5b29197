"""A transfer kit's layout and its signed manifest.

A kit is what an operator carries on removable media from a central gate to an air-gapped
site: a directory (or a tar archive of one)::

    manifest.dsse.json     the manifest, in a DSSE envelope signed by the exporting site key
    checkpoint.txt         the central log's newest signed checkpoint (also in the manifest)
    log.jsonl              the log's records after the `--since` checkpoint, each with the
                           checkpoint signed with it (the whole log for a first kit)
    admissions.jsonl       the segment's admissions among those records
    artifacts/<sha256>     the admitted files, named by their digest
    vsa/<sha256>.dsse.json the admissions' VSAs, named by the digest of the envelope
    keys/site.pub          the exporting site's public key (for the operator to compare: the
                           importing site trusts only the keys it is given)

The manifest names the log (origin), the segment, the range of records (`firstSize` exclusive
to `size`), the checkpoint, and every other file with its size and SHA-256: a kit holds
exactly the files its manifest lists. Nothing here is trusted until the envelope's signature
verifies with a key the importing site was given (`verify_manifest`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from provenance.errors import VerificationFailure
from provenance.evidence.dsse_envelope import parse_envelope
from provenance.evidence.json_input import MalformedJson, load_json
from provenance.signing.keys import SigningKey
from provenance.verification.dsse import pae
from provenance.verification.dsse_keys import signers_of
from provenance.verification.signers import PublicKeySigner

__all__ = [
    "ADMISSIONS_FILE",
    "CHECKPOINT_FILE",
    "KIT_FORMAT",
    "LOG_FILE",
    "MANIFEST_FILE",
    "MANIFEST_PAYLOAD_TYPE",
    "MAX_MANIFEST_BYTES",
    "KitManifest",
    "KitRefused",
    "sign_manifest",
    "verify_manifest",
]

KIT_FORMAT = 1
MANIFEST_FILE = "manifest.dsse.json"
CHECKPOINT_FILE = "checkpoint.txt"
LOG_FILE = "log.jsonl"
ADMISSIONS_FILE = "admissions.jsonl"
MANIFEST_PAYLOAD_TYPE = "application/vnd.ot-provenance.kit-manifest+json"
# Files are listed by path; 100,000 admissions make a manifest of about 15 MiB.
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
_FIELDS = {"kitFormat", "origin", "segment", "firstSize", "size", "checkpoint", "exportedAt",
           "exportedBy", "files"}  # fmt: skip
_PATH = re.compile(r"(?:[A-Za-z0-9][A-Za-z0-9._-]*/)*[A-Za-z0-9][A-Za-z0-9._-]*")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_CHECK = "kit"


class KitRefused(VerificationFailure):
    """The kit does not verify (exit 1): tampered, not signed by a trusted key, older than the
    log already imported, or of a forked log. The message says which and where."""

    def __init__(self, message: str) -> None:
        super().__init__(message, check=_CHECK)


@dataclass(frozen=True)
class KitManifest:
    origin: str
    segment: str
    first_size: int  # records after this one are in the kit
    size: int
    checkpoint: str
    exported_at: str
    exported_by: str  # key id
    files: Mapping[str, tuple[int, str]]  # relative path -> (size, sha256 hex)

    def to_json(self) -> dict[str, Any]:
        return {
            "kitFormat": KIT_FORMAT,
            "origin": self.origin,
            "segment": self.segment,
            "firstSize": self.first_size,
            "size": self.size,
            "checkpoint": self.checkpoint,
            "exportedAt": self.exported_at,
            "exportedBy": self.exported_by,
            "files": {
                path: {"size": size, "sha256": digest}
                for path, (size, digest) in sorted(self.files.items())
            },
        }


def sign_manifest(manifest: KitManifest, key: SigningKey) -> tuple[bytes, bytes]:
    """(envelope bytes, payload bytes): the manifest in a DSSE envelope signed by `key`."""
    payload = json.dumps(manifest.to_json(), sort_keys=True, separators=(",", ":")).encode()
    signature = key.sign(pae(MANIFEST_PAYLOAD_TYPE, payload))
    envelope = {
        "payloadType": MANIFEST_PAYLOAD_TYPE,
        "payload": base64.b64encode(payload).decode(),
        "signatures": [{"keyid": key.key_id, "sig": base64.b64encode(signature).decode()}],
    }
    return json.dumps(envelope, indent=2, sort_keys=True).encode() + b"\n", payload


def verify_manifest(data: bytes, keys: Sequence[PublicKeySigner]) -> tuple[KitManifest, str, str]:
    """(manifest, its payload's SHA-256, the payload) once a trusted key's signature verifies.

    1. The envelope parses; its payload type is the kit manifest's.
    2. A signature by one of `keys` verifies over the DSSE PAE (nothing unsigned is read on).
    3. The payload is strict JSON with exactly the manifest's fields, each of its type; every
       listed path is relative, plain and unique, every digest 64 lowercase hex digits.
    """
    # 1.
    envelope = parse_envelope(data, MANIFEST_FILE)
    if envelope.payload_type != MANIFEST_PAYLOAD_TYPE:
        raise KitRefused(
            f"{MANIFEST_FILE}: expected payload type {MANIFEST_PAYLOAD_TYPE}, got "
            f"{envelope.payload_type!r}"
        )
    # 2.
    if not signers_of(envelope, keys):
        raise KitRefused(
            f"{MANIFEST_FILE}: not signed by a trusted site key (expected a signature by "
            f"{', '.join(key.key_id for key in keys)}): the manifest was altered or the kit "
            "comes from another site"
        )
    # 3.
    try:
        value = load_json(envelope.payload)
    except MalformedJson as exc:
        raise KitRefused(f"{MANIFEST_FILE}: the manifest is not JSON: {exc}") from exc
    payload_text = envelope.payload.decode("utf-8")
    return (
        _parse(value),
        hashlib.sha256(envelope.payload).hexdigest(),
        payload_text,
    )


def _parse(value: object) -> KitManifest:
    if not isinstance(value, dict) or set(value) != _FIELDS:
        raise KitRefused(f"{MANIFEST_FILE}: expected exactly the fields {sorted(_FIELDS)}")
    if value["kitFormat"] != KIT_FORMAT:
        raise KitRefused(f"{MANIFEST_FILE}: kit format {value['kitFormat']!r}, expected 1")
    texts = {name: value[name] for name in ("origin", "segment", "checkpoint", "exportedAt",
                                           "exportedBy")}  # fmt: skip
    if not all(isinstance(text, str) and text for text in texts.values()):
        raise KitRefused(f"{MANIFEST_FILE}: origin, segment, checkpoint and exporter must be text")
    sizes = (value["firstSize"], value["size"])
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in sizes) or not (
        sizes[0] < sizes[1]
    ):
        raise KitRefused(f"{MANIFEST_FILE}: expected record counts 0 <= firstSize < size")
    files = value["files"]
    if not isinstance(files, dict):
        raise KitRefused(f"{MANIFEST_FILE}: files must be an object")
    listed: dict[str, tuple[int, str]] = {}
    for path, entry in files.items():
        if not _PATH.fullmatch(path) or ".." in path.split("/") or path == MANIFEST_FILE:
            raise KitRefused(f"{MANIFEST_FILE}: lists the path {path!r}; expected a plain one")
        if (
            not isinstance(entry, dict)
            or set(entry) != {"size", "sha256"}
            or not isinstance(entry["size"], int)
            or isinstance(entry["size"], bool)
            or entry["size"] < 0
            or not isinstance(entry["sha256"], str)
            or not _SHA256.fullmatch(entry["sha256"])
        ):
            raise KitRefused(f"{MANIFEST_FILE}: {path}: expected a size and a SHA-256")
        listed[path] = (entry["size"], entry["sha256"])
    return KitManifest(
        origin=texts["origin"],
        segment=texts["segment"],
        first_size=sizes[0],
        size=sizes[1],
        checkpoint=texts["checkpoint"],
        exported_at=texts["exportedAt"],
        exported_by=texts["exportedBy"],
        files=listed,
    )
