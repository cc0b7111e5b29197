"""One kind of evidence, as the registry (`evidence_kinds.KINDS`) lists it: how it is
recognised, how large it may be, its report word, and how it becomes facts. A kind's own
module declares its `EvidenceKind`; only the registry lists them all."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from provenance.evidence.sigstore_bundle import MAX_BUNDLE_BYTES
from provenance.verification.evidence_context import (
    Collected,
    EvidenceContext,
    EvidenceItem,
    EvidenceProblem,
)

__all__ = ["EvidenceKind", "Handler"]

# Verify one item into `Collected`; the problems kept on the way (a raised
# `VerificationFailure` is the item's one problem).
Handler = Callable[[EvidenceContext, EvidenceItem, Collected], list[EvidenceProblem]]


@dataclass(frozen=True)
class EvidenceKind:
    """One kind of evidence. `key` is unique; `label` is the word reports and the vet
    result use (two kinds may share one: a bundle over a checksum list is a Sigstore bundle).
    `attached`: evidence about an artifact (`vet` refuses one that verified nothing);
    otherwise it supports other evidence (lists, links, CRLs) or is trust material, which a
    delivery may carry but which is never trusted from it. `routes`: found by its content,
    it is handed to the artifact whose digest it names. `verify`: how it becomes facts (None:
    read only by other evidence). `check`: a supporting file must parse as what its name
    says (raises `ProvenanceError` saying why). `beside`: the names it goes by next to the
    artifact it is about, for discovery (`{name}` is the artifact's file name; one `*` may
    stand for any text), beyond the conventions `discover_evidence` has always known."""

    key: str
    label: str
    what: str
    by_name: Callable[[Path], bool] | None = None
    by_json: Callable[[dict[str, Any]], bool] | None = None
    by_bytes: Callable[[bytes, Path], bool] | None = None
    verify: Handler | None = None
    attached: bool = False
    routes: bool = False
    max_bytes: int = MAX_BUNDLE_BYTES
    check: Callable[[Path, str], None] | None = None
    beside: tuple[str, ...] = ()
