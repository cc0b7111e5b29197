"""in-toto Statements (v0.1 and v1): the subjects an attestation is about, parsed strictly."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from provenance.errors import EvidenceError
from provenance.evidence.json_input import MalformedJson, load_json

__all__ = ["IN_TOTO_PAYLOAD_TYPE", "STATEMENT_TYPES", "Statement", "Subject", "parse_statement"]

IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPES = ("https://in-toto.io/Statement/v0.1", "https://in-toto.io/Statement/v1")
# An attestation about more subjects than this is not about one delivery (slsa-github-generator
# releases name tens); the limit also bounds the work an attacker's statement can cause.
MAX_SUBJECTS = 1024

# Digest lengths (hex digits) we check; other algorithms are kept as opaque strings.
_HEX_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}


@dataclass(frozen=True)
class Subject:
    name: str
    digest: dict[str, str]  # algorithm -> lowercase hex


@dataclass(frozen=True)
class Statement:
    statement_type: str
    subjects: tuple[Subject, ...]
    predicate_type: str
    predicate: Any

    def names_sha256(self, digest: bytes) -> bool:
        wanted = digest.hex()
        return any(subject.digest.get("sha256") == wanted for subject in self.subjects)

    def algorithms(self) -> set[str]:
        return {algorithm for subject in self.subjects for algorithm in subject.digest}


def _fail(problem: str) -> EvidenceError:
    return EvidenceError(f"in-toto statement: {problem}", check="subject")


def parse_statement(payload: bytes) -> Statement:
    try:
        document = load_json(payload)
    except MalformedJson as exc:
        raise _fail(f"not JSON ({exc})") from exc
    if not isinstance(document, dict):
        raise _fail("expected a JSON object")
    statement_type = document.get("_type")
    if statement_type not in STATEMENT_TYPES:
        raise _fail(f"expected _type one of {', '.join(STATEMENT_TYPES)}, got {statement_type!r}")
    predicate_type = document.get("predicateType")
    if not isinstance(predicate_type, str) or not predicate_type:
        raise _fail("expected a non-empty predicateType")
    raw_subjects = document.get("subject")
    if not isinstance(raw_subjects, list) or not raw_subjects:
        raise _fail("expected a non-empty subject list")
    if len(raw_subjects) > MAX_SUBJECTS:
        raise _fail(f"expected at most {MAX_SUBJECTS} subjects, got {len(raw_subjects)}")
    subjects = tuple(_subject(raw, index) for index, raw in enumerate(raw_subjects))
    return Statement(
        statement_type=statement_type,
        subjects=subjects,
        predicate_type=predicate_type,
        predicate=document.get("predicate"),
    )


def _subject(raw: object, index: int) -> Subject:
    if not isinstance(raw, dict):
        raise _fail(f"subject[{index}] is not an object")
    name = raw.get("name", "")
    digest = raw.get("digest")
    if not isinstance(name, str) or not isinstance(digest, dict) or not digest:
        raise _fail(f"subject[{index}] needs a name and a non-empty digest map")
    cleaned: dict[str, str] = {}
    for algorithm, value in digest.items():
        if not isinstance(value, str):
            raise _fail(f"subject[{index}] digest {algorithm!r} is not a string")
        length = _HEX_LENGTHS.get(algorithm)
        # The in-toto spec writes digests in lowercase hex; anything else is refused rather
        # than normalised, so two spellings of one digest never meet in a policy.
        if length is not None and not re.fullmatch(f"[0-9a-f]{{{length}}}", value):
            raise _fail(
                f"subject[{index}] digest {algorithm!r}: expected {length} lowercase hex "
                f"digits, got {value[:80]!r}"
            )
        cleaned[algorithm] = value
    return Subject(name=name, digest=cleaned)
