"""What layout verification established, and why it failed if it did.

`verify_layout` returns a `LayoutResult` for every outcome the evidence decides (pass, or fail
with one `LayoutFailure`), so an auditor sees how far verification got (who signed the layout,
which steps verified) even when it failed. Inside the workflow a failed check raises
`LayoutVerificationFailure`; `LayoutResult.raise_for_failure()` re-raises it for callers that
prefer exceptions. Problems with the operator's own inputs (no keys, an unreadable layout or
link directory) raise `InputError` and produce no result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from provenance.errors import VerificationFailure

__all__ = [
    "LayoutFailure",
    "LayoutResult",
    "LayoutVerificationFailure",
    "Stage",
    "StepResult",
]

# The workflow stage that failed, in the order verification runs them.
Stage = Literal[
    "metadata",  # a layout or link file is malformed
    "layout-signature",  # (1) too few layout keys signed
    "expiry",  # (2)
    "links",  # (3) too few link files for a step
    "link-signature",  # (3) too few links signed by authorized functionaries
    "link-agreement",  # (3) a step's links disagree on materials or products
    "sublayout",  # (4) nesting too deep
    "artifact-rules",  # (5)
    "inspection",  # (6) an inspection command failed (only when inspections run)
    "artifact-binding",  # (7) the artifact is not a final product
]


@dataclass(frozen=True)
class LayoutFailure:
    """One failed check: `reason` is one line (what, expected, got); the rest locates it."""

    stage: Stage
    reason: str
    layout: str  # the layout file (a sublayout's own file when it failed inside one)
    step: str | None = None  # step or inspection name
    link: str | None = None  # link file
    rule: str | None = None  # the artifact rule as written, e.g. "DISALLOW *"


class LayoutVerificationFailure(VerificationFailure):
    """A layout check failed; `failure` says which stage, step, link and rule."""

    def __init__(self, failure: LayoutFailure) -> None:
        self.failure = failure
        super().__init__(failure.reason, check="in-toto layout")


@dataclass(frozen=True)
class StepResult:
    """A step whose links verified: which functionaries' agreeing links count toward it."""

    name: str
    functionaries: tuple[str, ...]  # key IDs of the functionaries whose links were accepted
    links: tuple[str, ...]  # the accepted link (or sublayout) files
    sublayouts: tuple[LayoutResult, ...] = ()  # when the step's "links" are sublayouts


@dataclass(frozen=True)
class LayoutResult:
    """The outcome of verifying one layout (and, nested in its steps, its sublayouts).

    `inspections_skipped` lists inspections (a sublayout's as `step/inspection`) that were not
    run, so their artifact rules were not evaluated: verification is then partial, and whether
    partial verification is enough is the caller's policy. `complete` is the strict answer.
    """

    passed: bool
    failure: LayoutFailure | None
    layout: str
    envelope: Literal["metablock", "dsse"] | None
    signed_by: tuple[str, ...]  # layout key IDs with a valid signature
    threshold: int  # how many layout keys had to sign
    expires: datetime | None
    steps: tuple[StepResult, ...]  # the steps verified (all of them if passed)
    inspections_run: tuple[str, ...]
    inspections_skipped: tuple[str, ...]
    artifact_sha256: str | None  # hex; None for a sublayout
    artifact_products: tuple[str, ...]  # final-step product paths whose sha256 is the artifact's
    warnings: tuple[str, ...]  # e.g. a link's command differs from the step's expected command

    @property
    def complete(self) -> bool:
        """Passed with every inspection run: nothing in the layout went unchecked."""
        return self.passed and not self.inspections_skipped

    def raise_for_failure(self) -> None:
        """Raise `LayoutVerificationFailure` if verification failed."""
        if self.failure is not None:
            raise LayoutVerificationFailure(self.failure)
