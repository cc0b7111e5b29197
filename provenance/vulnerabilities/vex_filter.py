"""Apply VEX statements to vulnerability findings: which are set aside, and by which statement.

Generic over findings: anything with a vulnerability id, its aliases and the component's purl
and bom-ref (`VexSubject`) can be filtered; the caller keeps its own finding type.

Rules, in order (fail closed at every step):
1. A statement applies to a finding if it names the vulnerability (its id or an alias,
   either side, case-insensitively) and the component: by purl (same package; a statement
   without a version covers every version), or by bom-ref only if the statement comes from
   the SBOM document itself (`sbom_source`: bom-refs are local to a document, so a
   separate VEX file's bom-ref may name another component). A statement that lists
   subcomponents (OpenVEX) is about those inside its products, so its products must name the
   artifact (`artifact_ids`); a statement about another product does not apply. One that
   names only components sets a finding aside only if its document is about the artifact
   (`about_artifact`: an attestation about its digest, or a document naming it as its
   product) or is the SBOM itself: a VEX file written for another product, renamed beside
   this one, says nothing about this one.
2. If any applicable statement says `affected` or `under_investigation`, the finding stays,
   whoever signed that statement: a claim of exposure is never outvoted.
3. Otherwise the first applicable `not_affected` (with a justification or an impact
   statement) or `fixed` statement whose source is bound at least as strongly as
   `min_binding` sets the finding aside; the result names it and its binding.
Statements that applied but were too weakly bound, or `not_affected` without a reason, are
listed in `VexOutcome.unused` so the report can say why they did not count.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from provenance.evidence.sbom.purl import split_purl
from provenance.evidence.sbom.vex import VexStatement
from provenance.facts import BINDING_STRENGTH, SbomBinding

__all__ = [
    "Suppression",
    "UnusedStatement",
    "VexOutcome",
    "VexSubject",
    "apply_vex",
    "exposure_claims",
    "names_product",
]


class VexSubject(Protocol):
    """What a finding must tell VEX: the vulnerability and the component it was found in."""

    @property
    def vulnerability_id(self) -> str: ...

    @property
    def aliases(self) -> Sequence[str]: ...

    @property
    def purl(self) -> str | None: ...

    @property
    def bom_ref(self) -> str | None: ...


F = TypeVar("F", bound=VexSubject)


@dataclass(frozen=True, slots=True)
class Suppression(Generic[F]):
    finding: F
    statement: VexStatement  # `statement.where` says which file and entry
    binding: SbomBinding  # how the statement's source is bound to the artifact

    @property
    def reason(self) -> str:
        why = self.statement.justification or self.statement.impact_statement or "fixed"
        return (
            f"{self.statement.status} ({why}) per {self.statement.where}, "
            f"bound: {self.binding or 'unbound'}"
        )


@dataclass(frozen=True, slots=True)
class UnusedStatement:
    statement: VexStatement
    reason: str  # why it did not suppress, one line


@dataclass(frozen=True, slots=True)
class VexOutcome(Generic[F]):
    kept: tuple[F, ...]
    suppressed: tuple[Suppression[F], ...]
    unused: tuple[UnusedStatement, ...]


def apply_vex(
    findings: Iterable[F],
    statements: Iterable[VexStatement],
    bindings: Mapping[str, SbomBinding],
    *,
    min_binding: SbomBinding,
    artifact_ids: Collection[str] = (),
    sbom_source: str | None = None,
    about_artifact: Collection[str] = (),
) -> VexOutcome[F]:
    """Split `findings` into kept and suppressed (see the module docstring).

    `bindings` maps a statement's source (`VexStatement.source`) to how it is bound
    (`SbomFacts.vex_bindings`); a source not listed is unbound. `min_binding` is the policy's
    choice: None accepts unsigned VEX. `artifact_ids`: purls or bom-refs naming the artifact
    (the SBOM's metadata component), for statements with subcomponents. `sbom_source`: the
    SBOM's file, whose own VEX statements may name components by bom-ref. `about_artifact`:
    the sources that are about this artifact, where statements naming only components count.
    """
    every = tuple(statements)
    kept: list[F] = []
    suppressed: list[Suppression[F]] = []
    unused: dict[tuple[str, int], UnusedStatement] = {}
    required = BINDING_STRENGTH[min_binding]
    for finding in findings:
        applicable = [s for s in every if _applies(s, finding, artifact_ids, sbom_source)]
        if not applicable or any(
            s.status in ("affected", "under_investigation") for s in applicable
        ):
            kept.append(finding)
            continue
        chosen: Suppression[F] | None = None
        for statement in applicable:
            binding = bindings.get(statement.source)
            problem = _unusable(statement, binding, required, min_binding)
            if problem is None and not _document_about(statement, about_artifact, sbom_source):
                problem = (
                    f"{statement.where}: names only components, and its document is not about "
                    "this artifact (it names no product of it and is no attestation about its "
                    "digest by its vendor)"
                )
            if problem is not None:
                unused.setdefault(
                    (statement.source, statement.index), UnusedStatement(statement, problem)
                )
            elif chosen is None:
                chosen = Suppression(finding, statement, binding)
        if chosen is None:
            kept.append(finding)
        else:
            suppressed.append(chosen)
    return VexOutcome(tuple(kept), tuple(suppressed), tuple(unused.values()))


def _unusable(
    statement: VexStatement, binding: SbomBinding, required: int, min_binding: SbomBinding
) -> str | None:
    if statement.status == "not_affected" and not (
        statement.justification or statement.impact_statement
    ):
        return (
            f"{statement.where}: expected a justification or impact statement for "
            f"not_affected, got neither"
        )
    if BINDING_STRENGTH[binding] < required:
        return (
            f"{statement.where}: expected VEX bound at least {min_binding}, got "
            f"{binding or 'unbound'}"
        )
    return None


def _document_about(
    statement: VexStatement, about_artifact: Collection[str], sbom_source: str | None
) -> bool:
    return (
        bool(statement.subcomponents)  # its products were matched against the artifact
        or statement.source == sbom_source
        or statement.source in about_artifact
    )


def names_product(products: Iterable[str], artifact_ids: Collection[str]) -> bool:
    """A document's products name the artifact (by `_covers`: a product without a version
    names every version)."""
    return any(_covers(product, target) for product in products for target in artifact_ids)


def exposure_claims(
    statements: Iterable[VexStatement],
    components: Sequence[tuple[str | None, str | None]],
    *,
    artifact_ids: Collection[str] = (),
    sbom_source: str | None = None,
) -> dict[int, tuple[str, ...]]:
    """Component number -> the CVE ids that statements saying `affected` or
    `under_investigation` name for it (by step 1's rules), whoever signed them: a claim of
    exposure can only add findings (the scan looks CSAF advisories up by them).
    `components`: (purl, bom-ref) of each. Statements are checked only against the
    components their products (or subcomponents) could name, not against every component."""
    claims = [s for s in statements if s.status in ("affected", "under_investigation")]
    if not claims:
        return {}
    named: dict[str, list[int]] = defaultdict(list)
    for number, (purl, bom_ref) in enumerate(components):
        for key in {_naming_key(name) for name in (purl, bom_ref) if name}:
            named[key].append(number)
    found: dict[int, dict[str, None]] = defaultdict(dict)
    for statement in claims:
        cves = [
            name.upper()
            for name in (statement.vulnerability, *statement.aliases)
            if name.upper().startswith("CVE-")
        ]
        for name in statement.subcomponents or statement.products:
            for number in named.get(_naming_key(name), ()):
                purl, bom_ref = components[number]
                if cves and _about(statement, purl, bom_ref, artifact_ids, sbom_source):
                    found[number].update(dict.fromkeys(cves))
    return {number: tuple(cves) for number, cves in found.items()}


def _naming_key(name: str) -> str:
    """Names `_covers` can match share this key: the purl package, else the text itself."""
    parts = split_purl(name)
    return parts.package if parts is not None else name


def _applies(
    statement: VexStatement,
    finding: VexSubject,
    artifact_ids: Collection[str],
    sbom_source: str | None,
) -> bool:
    wanted = {name.casefold() for name in (finding.vulnerability_id, *finding.aliases)}
    named = {name.casefold() for name in (statement.vulnerability, *statement.aliases)}
    if not wanted & named:
        return False
    return _about(statement, finding.purl, finding.bom_ref, artifact_ids, sbom_source)


def _about(
    statement: VexStatement,
    purl: str | None,
    bom_ref: str | None,
    artifact_ids: Collection[str],
    sbom_source: str | None,
) -> bool:
    """Step 1's component half: the statement names this component."""
    same_document = sbom_source is not None and statement.source == sbom_source
    component = tuple(x for x in (purl, bom_ref if same_document else None) if x)
    if statement.subcomponents:
        about_artifact = any(_covers(p, a) for p in statement.products for a in artifact_ids)
        return about_artifact and any(
            _covers(s, c) for s in statement.subcomponents for c in component
        )
    return any(_covers(p, c) for p in statement.products for c in component)


def _covers(stated: str, target: str) -> bool:
    """A statement's product covers `target` if it is the same purl package and names no
    version or the same version, or if both are the same non-purl reference exactly."""
    said, wanted = split_purl(stated), split_purl(target)
    if said is None or wanted is None:
        return stated == target
    if said.package != wanted.package:
        return False
    return said.version is None or said.version == wanted.version
