"""VEX: CycloneDX VEX (vulnerabilities[].analysis) and OpenVEX, one statement model.

A statement says a product is, or is not, affected by a vulnerability. The vulnerability gate
uses `suppressing_statement` to set a match aside; the statement it returns is the record of
why. A `not_affected` statement without a justification is refused (kept as a problem, never
used): "not affected" with no reason is exactly the claim an auditor must be able to check.

CycloneDX analysis states map onto OpenVEX statuses: not_affected and false_positive ->
not_affected (false_positive is its own justification), exploitable -> affected, resolved and
resolved_with_pedigree -> fixed, in_triage -> under_investigation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from provenance.errors import EvidenceError
from provenance.evidence.sbom._json import load_strict_json
from provenance.evidence.sbom.cyclonedx import parse_cyclonedx_json
from provenance.evidence.sbom.limits import MAX_VEX_BYTES, MAX_VEX_STATEMENTS
from provenance.evidence.sbom.purl import split_purl
from provenance.inputs.files import read_bounded

__all__ = [
    "VexDocument",
    "VexStatement",
    "parse_vex",
    "read_vex",
    "suppressing_statement",
]

VexStatus = Literal["not_affected", "affected", "fixed", "under_investigation"]
_STATUSES: tuple[VexStatus, ...] = ("not_affected", "affected", "fixed", "under_investigation")
_CYCLONEDX_STATES: Mapping[str, VexStatus] = {
    "not_affected": "not_affected",
    "false_positive": "not_affected",
    "exploitable": "affected",
    "resolved": "fixed",
    "resolved_with_pedigree": "fixed",
    "in_triage": "under_investigation",
}
OPENVEX_JUSTIFICATIONS = (
    "component_not_present",
    "vulnerable_code_not_present",
    "vulnerable_code_not_in_execute_path",
    "vulnerable_code_cannot_be_controlled_by_adversary",
    "inline_mitigations_already_exist",
)
_OPENVEX_CONTEXT = "https://openvex.dev/ns"
# Statuses that set a vulnerability match aside.
_SUPPRESSING = ("not_affected", "fixed")


@dataclass(frozen=True, slots=True)
class VexStatement:
    vulnerability: str
    aliases: tuple[str, ...]
    products: tuple[str, ...]  # purls where known, else the references as written
    subcomponents: tuple[str, ...]  # OpenVEX: the affected parts inside the products
    status: VexStatus
    justification: str | None
    impact_statement: str | None
    source: str  # the VEX file
    index: int  # the statement's position in it (vulnerabilities[i] / statements[i])
    format: Literal["CycloneDX", "OpenVEX"]

    @property
    def where(self) -> str:
        kind = "vulnerabilities" if self.format == "CycloneDX" else "statements"
        return f"{self.source} {kind}[{self.index}]"


@dataclass(frozen=True)
class VexDocument:
    statements: tuple[VexStatement, ...]
    problems: tuple[str, ...]  # statements refused, and why
    # The products the document says it is about: CycloneDX metadata.component, OpenVEX
    # products that have subcomponents. A statement naming only components applies to an
    # artifact only where its document is about that artifact.
    products: tuple[str, ...] = ()


class _Refused(Exception):
    """One statement is refused; the document goes on (the message is kept as a problem)."""


def _fail(what: str, problem: str) -> EvidenceError:
    return EvidenceError(f"{what}: {problem}", check="vex")


def read_vex(path: Path, *, max_bytes: int = MAX_VEX_BYTES) -> VexDocument:
    data = read_bounded(path, max_bytes, "a VEX document")
    if data is None:
        raise _fail(str(path), f"expected a VEX document of at most {max_bytes} bytes, got more")
    return parse_vex(data, str(path))


def parse_vex(data: bytes, what: str) -> VexDocument:
    """A CycloneDX (JSON) or OpenVEX document -> its statements; `EvidenceError` if the
    document as a whole is malformed. Statements it refuses are listed in `problems`."""
    document = load_strict_json(data, what)
    if not isinstance(document, dict):
        raise _fail(what, "expected a JSON object")
    if document.get("bomFormat") == "CycloneDX":
        return _cyclonedx(document, what)
    context = document.get("@context")
    if isinstance(context, str) and context.startswith(_OPENVEX_CONTEXT):
        return _openvex(document, what)
    raise _fail(
        what,
        f"expected a CycloneDX VEX (bomFormat) or OpenVEX document (@context "
        f"{_OPENVEX_CONTEXT}/...), got neither",
    )


def _cyclonedx(document: dict[str, Any], what: str) -> VexDocument:
    sbom = parse_cyclonedx_json(document, what)  # schema-validated: shapes hold below
    purls = {c.bom_ref: c.purl for c in sbom.components if c.bom_ref and c.purl}
    described = sbom.metadata.component
    if described is not None and described.bom_ref and described.purl:
        purls[described.bom_ref] = described.purl
    raw = document.get("vulnerabilities", [])
    _count(raw, what)
    statements, problems = [], []
    for index, vulnerability in enumerate(raw):
        analysis = vulnerability.get("analysis")
        identifier = vulnerability.get("id")
        where = f"vulnerabilities[{index}]"
        if not isinstance(analysis, dict) or "state" not in analysis or not identifier:
            problems.append(f"{where}: expected an id and analysis.state, got neither statement")
            continue
        status = _CYCLONEDX_STATES[analysis["state"]]
        justification = analysis.get("justification")
        if analysis["state"] == "false_positive":
            justification = "false_positive"
        if status == "not_affected" and not justification:
            problems.append(f"{where}: {identifier} not_affected without a justification: refused")
            continue
        # CycloneDX 1.4's schema lets items be any value: each is checked here.
        affects = vulnerability.get("affects", ())
        refs: list[str] = [
            a["ref"] for a in affects if isinstance(a, dict) and isinstance(a.get("ref"), str)
        ]
        if len(refs) != len(affects) or not all(refs):
            problems.append(
                f"{where}: {identifier}: expected affects entries with a ref, got {_shape(affects)}"
            )
            continue
        if not refs:
            problems.append(f"{where}: {identifier}: expected affects naming a product, got none")
            continue
        references = vulnerability.get("references", ())
        aliases = [r.get("id") for r in references if isinstance(r, dict)]
        statements.append(
            VexStatement(
                vulnerability=identifier,
                aliases=tuple(a for a in aliases if isinstance(a, str)),
                products=tuple(purls.get(ref, ref) for ref in refs),
                subcomponents=(),
                status=status,
                justification=justification,
                impact_statement=analysis.get("detail"),
                source=what,
                index=index,
                format="CycloneDX",
            )
        )
    about = (described.purl,) if described is not None and described.purl else ()
    return VexDocument(tuple(statements), tuple(problems), about)


def _shape(value: Any) -> str:
    """A short rendering of an unexpected value, for a message."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _count(raw: Any, what: str) -> None:
    if not isinstance(raw, list):
        raise _fail(what, f"expected a list of statements, got {type(raw).__name__}")
    if len(raw) > MAX_VEX_STATEMENTS:
        raise _fail(what, f"expected at most {MAX_VEX_STATEMENTS} statements, got {len(raw)}")


def _openvex_ids(raw: Any, where: str) -> list[str]:
    """OpenVEX product/subcomponent lists: strings (v0.0.1) or {@id, identifiers: {purl}}."""
    if not isinstance(raw, list):
        raise _Refused(f"{where}: expected a list, got {type(raw).__name__}")
    found = []
    for item in raw:
        if isinstance(item, str) and item:
            found.append(item)
            continue
        if not isinstance(item, dict):
            raise _Refused(f"{where}: expected a string or an object, got {item!r:.60}")
        identifiers = item.get("identifiers")
        purl = identifiers.get("purl") if isinstance(identifiers, dict) else None
        chosen = purl if isinstance(purl, str) else item.get("@id")
        if not isinstance(chosen, str) or not chosen:
            raise _Refused(f"{where}: expected an @id or identifiers.purl, got neither")
        found.append(chosen)
    return found


def _openvex(document: dict[str, Any], what: str) -> VexDocument:
    raw = document.get("statements")
    _count(raw, what)
    statements, problems = [], []
    for index, entry in enumerate(raw or ()):
        where = f"statements[{index}]"
        try:
            statements.extend(_openvex_statements(entry, where, what, index))
        except _Refused as exc:
            problems.append(str(exc))
    about = {product: None for s in statements if s.subcomponents for product in s.products}
    return VexDocument(tuple(statements), tuple(problems), tuple(about))


def _openvex_statements(entry: Any, where: str, what: str, index: int) -> list[VexStatement]:
    """One OpenVEX statement as the model's statements: OpenVEX 0.2 nests subcomponents in
    each product ("X inside P"), so each such product becomes a statement of its own, keeping
    which subcomponents are inside which product; products without nested subcomponents share
    one statement with the statement-level ones (OpenVEX 0.0.x)."""
    statement = _openvex_statement(entry, where, what, index)
    nested = []
    for number, product in enumerate(entry.get("products", [])):
        inside = product.get("subcomponents") if isinstance(product, dict) else None
        if inside is not None:
            ids = _openvex_ids([product], f"{where}.products[{number}]")
            subs = _openvex_ids(inside, f"{where}.products[{number}].subcomponents")
            nested.append((ids[0], tuple(subs)))
    if not nested:
        return [statement]
    with_inside = {product for product, _ in nested}
    split = [
        replace(statement, products=(product,), subcomponents=(*subs, *statement.subcomponents))
        for product, subs in nested
    ]
    rest = tuple(p for p in statement.products if p not in with_inside)
    return split + ([replace(statement, products=rest)] if rest else [])


def _openvex_statement(entry: Any, where: str, what: str, index: int) -> VexStatement:
    if not isinstance(entry, dict):
        raise _Refused(f"{where}: expected an object")
    vulnerability = entry.get("vulnerability")
    aliases: list[str] = []
    if isinstance(vulnerability, dict):
        listed = vulnerability.get("aliases", [])
        if not isinstance(listed, list):
            raise _Refused(f"{where}: expected a list of aliases, got {_shape(listed)}")
        aliases = [a for a in listed if isinstance(a, str)]
        vulnerability = vulnerability.get("name")
    if not isinstance(vulnerability, str) or not vulnerability:
        raise _Refused(f"{where}: expected a vulnerability name, got none")
    status = entry.get("status")
    if status not in _STATUSES:
        raise _Refused(f"{where}: expected status one of {', '.join(_STATUSES)}, got {status!r}")
    justification = entry.get("justification")
    if justification is not None and justification not in OPENVEX_JUSTIFICATIONS:
        raise _Refused(
            f"{where}: expected justification one of {', '.join(OPENVEX_JUSTIFICATIONS)}, got "
            f"{justification!r}"
        )
    if status == "not_affected" and justification is None:
        raise _Refused(f"{where}: {vulnerability} not_affected without a justification: refused")
    products = _openvex_ids(entry.get("products", []), f"{where}.products")
    if not products:
        raise _Refused(f"{where}: {vulnerability}: expected products, got none")
    impact = entry.get("impact_statement")
    return VexStatement(
        vulnerability=vulnerability,
        aliases=tuple(aliases),
        products=tuple(products),
        subcomponents=tuple(_openvex_ids(entry.get("subcomponents", []), f"{where}.subcomponents")),
        status=status,
        justification=justification,
        impact_statement=impact if isinstance(impact, str) else None,
        source=what,
        index=index,
        format="OpenVEX",
    )


def _purl_matches(stated: str, purl: str) -> bool:
    """A statement's purl covers `purl` if the package is the same and the statement either
    names no version (every version) or the same version. Qualifiers are not compared."""
    said, wanted = split_purl(stated), split_purl(purl)
    if said is None or wanted is None:
        return stated == purl
    if said.package != wanted.package:
        return False
    return said.version is None or said.version == wanted.version


def suppressing_statement(
    statements: Iterable[VexStatement], vuln_id: str, purl: str
) -> VexStatement | None:
    """The statement that sets the match (vulnerability `vuln_id` in the component `purl`)
    aside, or None.

    A statement applies if it names the vulnerability (by id or alias, case-insensitive) and
    the component (among its subcomponents if it lists any, else among its products). Fail
    closed: if any applicable statement says affected or under_investigation, nothing is
    suppressed, whatever another statement says.
    """
    wanted = vuln_id.casefold()
    suppressing: VexStatement | None = None
    for statement in statements:
        names = (statement.vulnerability, *statement.aliases)
        if wanted not in (name.casefold() for name in names):
            continue
        targets = statement.subcomponents or statement.products
        if not any(_purl_matches(target, purl) for target in targets):
            continue
        if statement.status not in _SUPPRESSING:
            return None
        suppressing = suppressing or statement
    return suppressing
