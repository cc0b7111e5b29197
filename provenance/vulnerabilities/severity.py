"""CVSS base scores from vectors, and the severity band policy compares (`max_severity`).

Scores are computed from the vector, never taken from a record's stated number: the vector is
what the advisory author chose, a stated score can be stale or mistyped. The computation is the
`cvss` package's (RedHatProductSecurity/cvss, the FIRST formulas for v2, v3.0, v3.1, v4.0).

Only CVSS v3.x and v4.0 are scored; any other vector (v2, garbage) is an `InvalidVector` with
its reason, an explicit outcome the caller must handle: a record whose every vector is invalid
has no known severity, which policy must not read as "none".

Bands (the same for v3.x and v4.0, FIRST specification tables): none 0.0, low 0.1-3.9,
medium 4.0-6.9, high 7.0-8.9, critical 9.0-10.0.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from cvss import CVSS3, CVSS4
from cvss.exceptions import CVSSError

from provenance.scales import SEVERITY_ORDER, SeverityBand

__all__ = [
    "MAX_VECTOR_CHARS",
    "CvssScore",
    "InvalidVector",
    "Severity",
    "at_least",
    "band_of",
    "score_vector",
    "severity_of",
]

# A v4.0 vector with every base, threat, environmental and supplemental metric is ~290 chars.
MAX_VECTOR_CHARS = 512

# The grammar the library is given: a version prefix and METRIC:VALUE pairs, nothing else.
_VECTOR = re.compile(r"CVSS:(3\.0|3\.1|4\.0)((?:/[A-Za-z]{1,3}:[A-Za-z]{1,5})+)")
# CVSS v4.0 base metrics: a vector that also carries threat or environmental metrics scores as
# CVSS-BT/BTE, so those are set aside to get the base score (FIRST v4.0 spec section 1.2).
_V4_BASE_METRICS = frozenset({"AV", "AC", "AT", "PR", "UI", "VC", "VI", "VA", "SC", "SI", "SA"})


@dataclass(frozen=True, slots=True)
class CvssScore:
    vector: str
    version: Literal["3.0", "3.1", "4.0"]
    base_score: float
    severity: SeverityBand


@dataclass(frozen=True, slots=True)
class InvalidVector:
    vector: str
    reason: str  # one line: what was expected, what was got


@dataclass(frozen=True, slots=True)
class Severity:
    """The severity of one record over all its vectors."""

    scores: tuple[CvssScore, ...]
    invalid: tuple[InvalidVector, ...]

    @property
    def highest(self) -> CvssScore | None:
        """The highest-scoring valid vector; None if there was none (severity unknown)."""
        return max(self.scores, key=lambda s: s.base_score, default=None)

    @property
    def band(self) -> SeverityBand | None:
        """The highest band; None if no vector could be scored (unknown, not "none")."""
        highest = self.highest
        return highest.severity if highest is not None else None


def band_of(base_score: float) -> SeverityBand:
    if not 0.0 <= base_score <= 10.0:
        raise ValueError(f"CVSS base score out of range: expected 0.0-10.0, got {base_score}")
    if base_score == 0.0:
        return "none"
    if base_score < 4.0:
        return "low"
    if base_score < 7.0:
        return "medium"
    if base_score < 9.0:
        return "high"
    return "critical"


def at_least(band: SeverityBand, threshold: SeverityBand) -> bool:
    """Whether `band` is `threshold` or worse."""
    return SEVERITY_ORDER.index(band) >= SEVERITY_ORDER.index(threshold)


def score_vector(vector: str) -> CvssScore | InvalidVector:
    """The base score and band of one CVSS v3.x/v4.0 vector, or why it could not be scored.

    1. Refuse anything longer than MAX_VECTOR_CHARS or outside the METRIC:VALUE grammar
       before the library sees it.
    2. v4.0: check the whole vector, then score only its base metrics (CVSS-B).
    3. Compute with the `cvss` package, which refuses unknown, repeated or missing mandatory
       metrics (CVSSError); v3.x base score is the first of its three scores.
    """
    if not isinstance(vector, str):
        return InvalidVector(repr(vector)[:MAX_VECTOR_CHARS], "expected a string vector")
    if len(vector) > MAX_VECTOR_CHARS:
        return InvalidVector(
            vector[:MAX_VECTOR_CHARS] + "...",
            f"expected a vector of at most {MAX_VECTOR_CHARS} characters, got {len(vector)}",
        )
    shape = _VECTOR.fullmatch(vector)
    if shape is None:
        return InvalidVector(
            vector, "expected CVSS:3.0, CVSS:3.1 or CVSS:4.0 followed by /METRIC:VALUE pairs"
        )
    version = shape.group(1)
    try:
        if version == "4.0":
            CVSS4(vector)  # the whole vector must be valid, not only its base part
            metrics = shape.group(2).split("/")[1:]
            base = [m for m in metrics if m.partition(":")[0] in _V4_BASE_METRICS]
            v4 = CVSS4("CVSS:4.0/" + "/".join(base))
            score = float(v4.base_score)
        else:
            score = float(CVSS3(vector).scores()[0])
    except CVSSError as exc:
        return InvalidVector(vector, f"expected a valid CVSS v{version} vector, got: {exc}")
    return CvssScore(vector, _version(version), score, band_of(score))


def severity_of(vectors: Iterable[str]) -> Severity:
    """Every vector scored; `Severity.band` is the highest (None if none was valid)."""
    scores: list[CvssScore] = []
    invalid: list[InvalidVector] = []
    for vector in vectors:
        outcome = score_vector(vector)
        if isinstance(outcome, CvssScore):
            scores.append(outcome)
        else:
            invalid.append(outcome)
    return Severity(tuple(scores), tuple(invalid))


def _version(text: str) -> Literal["3.0", "3.1", "4.0"]:
    if text == "3.0":
        return "3.0"
    if text == "3.1":
        return "3.1"
    return "4.0"
