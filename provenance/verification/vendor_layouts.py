"""A delivered in-toto root layout, held to the layout keys a vendor's policy entry names.

The layout's links are read from the layout's own folder. Inspections (commands the layout
asks the verifier to run) run only when the operator says so (`--run-inspections`), and then in
a private copy of that folder, so a command can neither change the delivery nor see the rest
of the machine's files by a relative path.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from provenance.errors import VerificationFailure
from provenance.facts import LayoutFact
from provenance.inputs.artifact import Artifact
from provenance.verification.in_toto_keys import InTotoKey
from provenance.verification.in_toto_layout import LayoutResult, verify_layout

__all__ = ["LAYOUT_SUFFIX", "LayoutTrust", "verify_vendor_layout"]

LAYOUT_SUFFIX = ".layout"


@dataclass(frozen=True)
class LayoutTrust:
    """One vendor's layout keys, and how many must sign (None: all)."""

    vendor: str
    keys: tuple[InTotoKey, ...]
    threshold: int | None


def verify_vendor_layout(
    layout: Path,
    artifact: Artifact,
    trust: Sequence[LayoutTrust],
    *,
    now: datetime,
    run_inspections: bool = False,
) -> LayoutFact:
    """The fact for the first vendor whose keys the layout meets; raises with the reason the
    closest vendor gave (one whose keys did sign, if any) otherwise."""
    if not trust:
        raise VerificationFailure(
            f"{layout}: an in-toto layout, but no vendor of the policy names layout keys "
            "(vendors.<name>.in_toto.layout_keys)",
            check="in-toto layout",
        )
    results = [(entry, _verify(layout, artifact, entry, now, run_inspections)) for entry in trust]
    for entry, result in results:
        if result.passed:
            return LayoutFact(
                artifact_sha256=artifact.sha256.hex(),
                vendor=entry.vendor,
                layout=str(layout),
                signed_by=result.signed_by,
                steps=tuple(step.name for step in result.steps),
                inspections_run=result.inspections_run,
                inspections_skipped=result.inspections_skipped,
            )
    # Prefer the vendor whose keys signed it: its reason is about the supply chain.
    entry, closest = max(results, key=lambda pair: len(pair[1].signed_by))
    reason = closest.failure.reason if closest.failure else "did not verify"
    raise VerificationFailure(
        f"{layout}: in-toto layout (vendor {entry.vendor}): {reason}", check="in-toto layout"
    )


def _verify(
    layout: Path, artifact: Artifact, trust: LayoutTrust, now: datetime, run_inspections: bool
) -> LayoutResult:
    def verify(inspection_dir: Path | None) -> LayoutResult:
        return verify_layout(
            layout,
            layout_keys=trust.keys,
            link_dir=layout.parent,
            artifact_sha256=artifact.sha256,
            now=now,
            threshold=trust.threshold,
            run_inspections=inspection_dir is not None,
            inspection_dir=inspection_dir,
        )

    if not run_inspections:
        return verify(None)
    with tempfile.TemporaryDirectory(prefix="provenance-inspect-") as scratch:
        work = Path(scratch) / "delivery"
        shutil.copytree(layout.parent, work, symlinks=True)
        return verify(work)
