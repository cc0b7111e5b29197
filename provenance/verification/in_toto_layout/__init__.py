"""in-toto supply-chain layout verification (v0.9 metadata, classic metablocks and DSSE).

See `workflow` for the algorithm and the choices made, `rules` for artifact-rule semantics,
`inspections` for when and how inspection commands run, and `result` for what is returned.
"""

from provenance.verification.in_toto_layout.inspections import DEFAULT_INSPECTION_TIMEOUT
from provenance.verification.in_toto_layout.result import (
    LayoutFailure,
    LayoutResult,
    LayoutVerificationFailure,
    Stage,
    StepResult,
)
from provenance.verification.in_toto_layout.workflow import (
    MAX_SUBLAYOUT_DEPTH,
    signers_of,
    verify_layout,
)

__all__ = [
    "DEFAULT_INSPECTION_TIMEOUT",
    "MAX_SUBLAYOUT_DEPTH",
    "LayoutFailure",
    "LayoutResult",
    "LayoutVerificationFailure",
    "Stage",
    "StepResult",
    "signers_of",
    "verify_layout",
]
