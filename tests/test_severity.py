"""CVSS severity: base scores from v3.x/v4.0 vectors, bands, the max, invalid vectors."""

from __future__ import annotations

import pytest

from provenance.vulnerabilities.severity import (
    MAX_VECTOR_CHARS,
    CvssScore,
    InvalidVector,
    at_least,
    band_of,
    score_vector,
    severity_of,
)

V31_CRITICAL = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
V30_HIGH = "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"
V31_LOW = "CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N"
V4_CRITICAL = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"


@pytest.mark.parametrize(
    ("vector", "version", "score", "band"),
    [
        (V31_CRITICAL, "3.1", 9.8, "critical"),
        (V30_HIGH, "3.0", 7.5, "high"),
        (V31_LOW, "3.1", 1.6, "low"),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", "3.1", 0.0, "none"),
        ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:L/A:N", "3.1", 4.8, "medium"),
        (V4_CRITICAL, "4.0", 9.3, "critical"),
        # Temporal (v3) and threat/supplemental (v4) metrics do not change the base score.
        (V31_CRITICAL + "/E:U/RL:O/RC:U", "3.1", 9.8, "critical"),
        (V4_CRITICAL + "/E:U/U:Red", "4.0", 9.3, "critical"),
    ],
)
def test_base_scores(vector: str, version: str, score: float, band: str) -> None:
    assert score_vector(vector) == CvssScore(vector, version, score, band)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("vector", "reason"),
    [
        (
            "AV:N/AC:L/Au:N/C:P/I:P/A:P",  # CVSS v2: not scored here
            "expected CVSS:3.0, CVSS:3.1 or CVSS:4.0 followed by /METRIC:VALUE pairs",
        ),
        ("", "expected CVSS:3.0, CVSS:3.1 or CVSS:4.0 followed by /METRIC:VALUE pairs"),
        (
            "CVSS:3.1/AV:N/AC:L",
            'expected a valid CVSS v3.1 vector, got: Missing mandatory metrics "PR, UI, S, C, '
            'I, A"',
        ),
        (
            V31_CRITICAL + "/AV:L",
            'expected a valid CVSS v3.1 vector, got: Duplicate metric "AV"',
        ),
        (
            "CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            'expected a valid CVSS v3.1 vector, got: Unknown value "Q" in field "AV:Q"',
        ),
        (
            V4_CRITICAL + "/ZZ:Q",
            'expected a valid CVSS v4.0 vector, got: Invalid metric key in CVSS4 vector "ZZ:Q"',
        ),
    ],
)
def test_invalid_vectors_are_an_outcome(vector: str, reason: str) -> None:
    assert score_vector(vector) == InvalidVector(vector, reason)


def test_oversized_vector() -> None:
    vector = "CVSS:3.1" + "/AV:N" * 200
    outcome = score_vector(vector)
    assert isinstance(outcome, InvalidVector)
    assert outcome.reason == (
        f"expected a vector of at most {MAX_VECTOR_CHARS} characters, got {len(vector)}"
    )


def test_max_over_a_records_vectors() -> None:
    severity = severity_of([V31_LOW, "garbage", V30_HIGH])
    assert severity.band == "high"
    assert severity.highest is not None
    assert severity.highest.vector == V30_HIGH
    assert [i.vector for i in severity.invalid] == ["garbage"]


def test_no_valid_vector_is_unknown_not_none() -> None:
    severity = severity_of(["garbage"])
    assert severity.band is None
    assert severity.highest is None
    assert severity_of([]).band is None


def test_bands_and_threshold() -> None:
    assert [band_of(s) for s in (0.0, 0.1, 3.9, 4.0, 6.9, 7.0, 8.9, 9.0, 10.0)] == [
        "none", "low", "low", "medium", "medium", "high", "high", "critical", "critical",
    ]  # fmt: skip
    assert at_least("critical", "high")
    assert at_least("high", "high")
    assert not at_least("medium", "high")
    with pytest.raises(ValueError, match=r"expected 0.0-10.0, got 10.5"):
        band_of(10.5)
