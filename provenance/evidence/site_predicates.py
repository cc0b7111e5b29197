"""The vocabulary of the statements this site signs (approvals and VSAs): written by
`signing.statements`, read back by `verification.site_statements`."""

from __future__ import annotations

__all__ = [
    "APPROVAL_PREDICATE_TYPE",
    "SEGMENT_LEVEL_PREFIX",
    "STATEMENT_V1",
    "VERIFIER_ID",
    "VSA_PREDICATE_TYPE",
]

STATEMENT_V1 = "https://in-toto.io/Statement/v1"
APPROVAL_PREDICATE_TYPE = "urn:ot-provenance:approval:v1"
VSA_PREDICATE_TYPE = "https://slsa.dev/verification_summary/v1"
VERIFIER_ID = "urn:ot-provenance:gate"
# A VSA's verifiedLevels names the segment it admits to; SLSA reserves only "SLSA_" prefixes.
SEGMENT_LEVEL_PREFIX = "OT_PROVENANCE_SEGMENT_"
