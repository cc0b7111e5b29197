"""The ordered scales that facts are judged on, each written here once: policy files name
their steps (`max_severity`, `evidence.minimum`), rules, reports and the command line compare
or offer them. Constants only, so any stage (and `--help`) may read them."""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["SEVERITY_ORDER", "STRENGTHS", "SeverityBand", "Strength", "rank"]

# A vulnerability's CVSS severity band, lowest first (FIRST: none is a base score of 0.0).
SeverityBand = Literal["none", "low", "medium", "high", "critical"]
SEVERITY_ORDER: tuple[SeverityBand, ...] = get_args(SeverityBand)

# How strongly an artifact's integrity and origin were verified, strongest first (what each
# step takes: `provenance.decision.evidence_strength`).
Strength = Literal[
    "attested-build", "signed-identity", "signed-checksum-list", "published-hash", "none"
]
STRENGTHS: tuple[Strength, ...] = get_args(Strength)


def rank(strength: Strength) -> int:
    """Higher is stronger: none is 0, attested-build 4."""
    return len(STRENGTHS) - 1 - STRENGTHS.index(strength)
