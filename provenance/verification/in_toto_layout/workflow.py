"""The in-toto verification workflow (in-toto spec v0.9, section 5), over metadata as received.

We implement the workflow ourselves rather than call the `in-toto` library: its verifier works
on its own Metablock/Layout models (which refuse or drop fields other implementations write,
and re-serialize what they verify), reads links from the process's working directory, and runs
inspections unconditionally. Here every signature is checked over the bytes received, links
come from the directory the caller names, and inspections run only on request.

Algorithm, per layout (sublayouts recurse at step 4):
  1. Layout signatures: at least `threshold` of the given layout keys must have a valid
     signature; each key counts once however many signatures it made; key IDs in signatures
     are hints and never decide which key is tried.
  2. Expiry: the layout's `expires` must not be before the injected `now`.
  3. Links: for each step, read `<step>.<keyid8>.link` (metablock or DSSE) for every authorized
     functionary key; keep the files validly signed by one of the step's keys and naming this
     step; at least `threshold` distinct functionaries must remain, and all their links must
     agree on materials and products (in-toto's threshold constraint). in-toto checks agreement
     only for thresholds above 1 and otherwise takes whichever link it read first; we require
     it whenever several links count, so which link speaks for a step never depends on order.
     A step with in-toto-golang `cert_constraints` also reads any `<step>.<8 hex>.link` and
     counts a signature whose certificate chains to the layout's `rootcas` and meets a
     constraint (see `functionary_certificates`). Functionaries are counted by public key.
  4. Sublayouts: a step's "link" may itself be a layout, signed by the functionary: verify it
     (same workflow, its links in `<step>.<keyid8>/`, nesting at most MAX_SUBLAYOUT_DEPTH) and
     use its summary (first step's materials, last step's products) as the step's link.
  5. Artifact rules of every step, materials then products (see `rules`).
  6. Inspections: skipped unless `run_inspections`; a skipped inspection's rules are not
     evaluated and it is listed in `inspections_skipped` (verification is then partial). When
     run (see `inspections`), a non-zero exit fails, then their rules are evaluated against
     step and inspection links.
  7. Artifact binding (root layout only): the artifact's SHA-256 must be a product of the
     layout's last step. Not "any step": intermediate products (sources, objects, a package's
     inputs) are what the chain consumed, not what it delivered, and a layout vouching for a
     source file must not admit that file as a release. The last step is the chain's output,
     which is what in-toto's summary link reports as the final product too.

Command alignment (a link's command differs from the step's expected command) only warns, as
in in-toto: a functionary can alias any command, so it is no evidence either way.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from provenance.errors import EvidenceError, InputError
from provenance.evidence.in_toto_metadata import (
    ArtifactRule,
    Layout,
    Link,
    SignedMetadata,
    Step,
    parse_layout,
    parse_link,
    read_metadata,
)
from provenance.verification.dsse import pae
from provenance.verification.in_toto_keys import InTotoKey, parse_key_dict
from provenance.verification.in_toto_layout import inspections
from provenance.verification.in_toto_layout.functionary_certificates import (
    CertificateRejected,
    LayoutAuthorities,
    certified_key,
)
from provenance.verification.in_toto_layout.result import (
    LayoutFailure,
    LayoutResult,
    LayoutVerificationFailure,
    Stage,
    StepResult,
)
from provenance.verification.in_toto_layout.rules import RuleViolation, apply_rules

__all__ = ["MAX_SUBLAYOUT_DEPTH", "signers_of", "verify_layout"]

# Real supply chains nest a vendor's sublayout or two; this bounds work on hostile input.
MAX_SUBLAYOUT_DEPTH = 8
# How many product paths a binding failure lists, so the reason stays one readable line.
_LISTED_PRODUCTS = 5
# Links by certified functionaries are named after keys the layout does not list, so a step
# with cert_constraints takes every `<step>.<8 hex>.link` (in-toto-golang globs
# `<step>.????????.link`); this bounds the work a crowded folder can cause.
MAX_CERTIFIED_LINKS = 64
_SHORT_ID = re.compile(r"[0-9a-f]{8}")


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def signers_of(metadata: SignedMetadata, keys: Sequence[InTotoKey]) -> tuple[InTotoKey, ...]:
    """The keys (each at most once) with a valid signature over the metadata as received."""
    signed = (
        metadata.payload
        if metadata.payload_type is None
        else pae(metadata.payload_type, metadata.payload)
    )
    unique = {key.keyid: key for key in keys}.values()
    return tuple(
        key for key in unique if any(key.verify(sig.sig, signed) for sig in metadata.signatures)
    )


@dataclass(frozen=True)
class _Options:
    now: datetime
    inspection_dir: Path | None  # None: inspections are not run
    inspection_timeout: float


@dataclass
class _Progress:
    """What one layout's verification has established so far (local to one call)."""

    source: str
    threshold: int
    envelope: Literal["metablock", "dsse"] | None = None
    signed_by: tuple[str, ...] = ()
    expires: datetime | None = None
    steps: list[StepResult] = field(default_factory=list)
    inspections_run: list[str] = field(default_factory=list)
    inspections_skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def fail(
        self,
        stage: Stage,
        reason: str,
        *,
        step: str | None = None,
        link: str | None = None,
        rule: str | None = None,
    ) -> LayoutVerificationFailure:
        return LayoutVerificationFailure(
            LayoutFailure(stage, reason, self.source, step=step, link=link, rule=rule)
        )

    def result(
        self,
        failure: LayoutFailure | None,
        artifact_sha256: str | None = None,
        products: tuple[str, ...] = (),
    ) -> LayoutResult:
        return LayoutResult(
            passed=failure is None,
            failure=failure,
            layout=self.source,
            envelope=self.envelope,
            signed_by=self.signed_by,
            threshold=self.threshold,
            expires=self.expires,
            steps=tuple(self.steps),
            inspections_run=tuple(self.inspections_run),
            inspections_skipped=tuple(self.inspections_skipped),
            artifact_sha256=artifact_sha256,
            artifact_products=products,
            warnings=tuple(self.warnings),
        )


@dataclass(frozen=True)
class _Candidate:
    """A link file found for a step, with the key ID prefix it was filed under."""

    path: Path
    short_id: str
    metadata: SignedMetadata


@dataclass(frozen=True)
class _Verified:
    layout: Layout
    links: dict[str, Link]  # step name -> the step's (reduced) link
    summary: Link


def _certified_link_ids(step: Step, names: Sequence[str], progress: _Progress) -> list[str]:
    """Key ID prefixes of `<step>.<8 hex>.link` files, for certified functionaries."""
    prefix, suffix = f"{step.name}.", ".link"
    found = sorted(
        middle
        for name in names
        if name.startswith(prefix)
        and name.endswith(suffix)
        and _SHORT_ID.fullmatch(middle := name[len(prefix) : -len(suffix)])
    )
    if len(found) > MAX_CERTIFIED_LINKS:
        raise progress.fail(
            "links",
            f"step {step.name!r}: {len(found)} link files for certified functionaries, expected "
            f"at most {MAX_CERTIFIED_LINKS}",
            step=step.name,
        )
    return found


def _folder_names(link_dir: Path) -> list[str]:
    try:
        return [entry.name for entry in os.scandir(link_dir)]
    except OSError as exc:
        raise InputError(f"{link_dir}: cannot list link files: {exc.strerror or exc}") from exc


def _load_candidates(
    step: Step, link_dir: Path, progress: _Progress, folder: Sequence[str] | None
) -> list[_Candidate]:
    """The step's link files; `folder` (the link folder's names) when the step may take
    certified functionaries' links."""
    short_ids = dict.fromkeys(keyid[:8] for keyid in step.pubkeys)
    if folder is not None:
        short_ids.update(dict.fromkeys(_certified_link_ids(step, folder, progress)))
    candidates: list[_Candidate] = []
    for short_id in short_ids:
        path = link_dir / f"{step.name}.{short_id}.link"
        try:
            present = path.is_file()
        except OSError as exc:  # e.g. a link directory we may not search
            raise InputError(f"{path}: cannot read link file: {exc.strerror or exc}") from exc
        if not present:
            continue
        try:
            metadata = read_metadata(path)
        except EvidenceError as exc:
            raise progress.fail("metadata", str(exc), step=step.name, link=path.name) from exc
        candidates.append(_Candidate(path, short_id, metadata))
    if len(candidates) < step.threshold:
        wanted = [f"{step.name}.{keyid[:8]}.link" for keyid in step.pubkeys]
        if folder is not None:
            wanted.append(f"{step.name}.<keyid8>.link by a certified functionary")
        raise progress.fail(
            "links",
            f"step {step.name!r}: found {len(candidates)} link files, expected at least "
            f"threshold {step.threshold} (looked for "
            f"{', '.join(wanted) or 'nothing: no functionaries'})",
            step=step.name,
        )
    return candidates


def _certified_signers(
    metadata: SignedMetadata, step: Step, authorities: LayoutAuthorities, now: datetime
) -> tuple[list[InTotoKey], list[str]]:
    """Keys vouched for by the certificates in the link's signatures that also signed it, and
    why the other certificates do not count."""
    keys: list[InTotoKey] = []
    reasons: list[str] = []
    for signature in metadata.signatures:
        if signature.certificate is None:
            continue
        try:
            key = certified_key(signature.certificate, step, authorities, now=now)
        except CertificateRejected as rejected:
            reasons.append(rejected.reason)
            continue
        if signers_of(metadata, [key]):
            keys.append(key)
        else:
            reasons.append(f"{key.source}: no signature of the link verifies under its key")
    return keys, reasons


def _accept(
    candidate: _Candidate,
    step: Step,
    keys: Mapping[str, InTotoKey],
    authorities: LayoutAuthorities,
    *,
    now: datetime,
    progress: _Progress,
) -> tuple[tuple[InTotoKey, ...], str | None]:
    """The functionaries who signed this candidate, or a reason it does not count."""
    name = candidate.path.name
    listed = signers_of(candidate.metadata, [keys[keyid] for keyid in step.pubkeys])
    certified, reasons = _certified_signers(candidate.metadata, step, authorities, now)
    # One functionary per key, whether the layout lists it or a certificate vouches for it.
    signers = tuple({key.fingerprint: key for key in (*certified, *listed)}.values())
    if not signers:
        detail = f" ({'; '.join(reasons)})" if reasons else ""
        return (), f"{name}: no valid signature by an authorized functionary{detail}"
    if candidate.metadata.kind == "link":
        try:
            link = parse_link(candidate.metadata)
        except EvidenceError as exc:
            raise progress.fail("metadata", str(exc), step=step.name, link=name) from exc
        if link.name != step.name:
            return (), f"{name}: is a link for step {link.name!r}"
    return signers, None


def _verify_steps(
    layout: Layout,
    keys: Mapping[str, InTotoKey],
    authorities: LayoutAuthorities,
    *,
    link_dir: Path,
    options: _Options,
    progress: _Progress,
    depth: int,
) -> dict[str, Link]:
    # 3. Links for every step first, then signatures, as in-toto orders its checks.
    certified = authorities.roots and any(step.cert_constraints for step in layout.steps)
    folder = _folder_names(link_dir) if certified else None
    found = {
        step.name: _load_candidates(
            step, link_dir, progress, folder if step.cert_constraints else None
        )
        for step in layout.steps
    }
    reduced: dict[str, Link] = {}
    for step in layout.steps:
        accepted: list[tuple[_Candidate, tuple[InTotoKey, ...]]] = []
        rejections: list[str] = []
        for candidate in found[step.name]:
            signers, rejection = _accept(
                candidate, step, keys, authorities, now=options.now, progress=progress
            )
            if rejection is not None:
                rejections.append(rejection)
            else:
                accepted.append((candidate, signers))
        by_key = {k.fingerprint: k.keyid for _, signers in accepted for k in signers}
        functionaries = tuple(dict.fromkeys(by_key.values()))
        if len(functionaries) < step.threshold:
            detail = f" ({'; '.join(rejections)})" if rejections else ""
            raise progress.fail(
                "link-signature",
                f"step {step.name!r}: {len(functionaries)} of threshold {step.threshold} links "
                f"signed by an authorized functionary{detail}",
                step=step.name,
            )
        # 4. Sublayouts become their summary links.
        links: list[tuple[str, Link]] = []
        sublayouts: list[LayoutResult] = []
        for candidate, signers in accepted:
            if candidate.metadata.kind == "layout":
                sublayout, link = _verify_sublayout(
                    candidate,
                    signers,
                    step=step,
                    link_dir=link_dir,
                    options=options,
                    progress=progress,
                    depth=depth,
                )
                sublayouts.append(sublayout)
            else:
                link = parse_link(candidate.metadata)
            links.append((candidate.path.name, link))
        # 3 (end). Threshold constraint: every accepted link must report the same artifacts.
        first_name, first = links[0]
        for other_name, other in links[1:]:
            if (other.materials, other.products) != (first.materials, first.products):
                raise progress.fail(
                    "link-agreement",
                    f"step {step.name!r}: links {first_name} and {other_name} disagree on "
                    "materials or products, expected identical artifacts from every functionary",
                    step=step.name,
                    link=other_name,
                )
        for link_name, link in links:
            if link.command != step.expected_command:
                progress.warnings.append(
                    f"step {step.name!r}: {link_name} ran {list(link.command)}, "
                    f"expected command {list(step.expected_command)}"
                )
        reduced[step.name] = first
        progress.steps.append(
            StepResult(step.name, functionaries, tuple(n for n, _ in links), tuple(sublayouts))
        )
    return reduced


def _verify_sublayout(
    candidate: _Candidate,
    signers: tuple[InTotoKey, ...],
    *,
    step: Step,
    link_dir: Path,
    options: _Options,
    progress: _Progress,
    depth: int,
) -> tuple[LayoutResult, Link]:
    name = candidate.path.name
    if depth >= MAX_SUBLAYOUT_DEPTH:
        raise progress.fail(
            "sublayout",
            f"step {step.name!r}: {name} nests sublayouts deeper than {MAX_SUBLAYOUT_DEPTH} levels",
            step=step.name,
            link=name,
        )
    inner = _Progress(source=str(candidate.path), threshold=1)
    try:
        verified = _verify_metadata(
            candidate.metadata,
            signers,
            threshold=1,
            link_dir=link_dir / f"{step.name}.{candidate.short_id}",
            options=options,
            progress=inner,
            depth=depth + 1,
        )
    except LayoutVerificationFailure as exc:
        inner_failure = exc.failure
        raise LayoutVerificationFailure(
            LayoutFailure(
                inner_failure.stage,
                f"step {step.name!r}: sublayout {name}: {inner_failure.reason}",
                inner_failure.layout,
                step=inner_failure.step,
                link=inner_failure.link,
                rule=inner_failure.rule,
            )
        ) from exc
    progress.inspections_run.extend(f"{step.name}/{n}" for n in inner.inspections_run)
    progress.inspections_skipped.extend(f"{step.name}/{n}" for n in inner.inspections_skipped)
    progress.warnings.extend(f"sublayout {name}: {w}" for w in inner.warnings)
    summary = Link(
        name=step.name,
        command=verified.summary.command,
        materials=verified.summary.materials,
        products=verified.summary.products,
        byproducts={},
        environment={},
    )
    return inner.result(None), summary


def _apply(
    what: Literal["step", "inspection"],
    name: str,
    *,
    materials_rules: Sequence[ArtifactRule],
    products_rules: Sequence[ArtifactRule],
    link: Link,
    links: Mapping[str, Link],
    progress: _Progress,
) -> None:
    try:
        apply_rules(materials_rules, "material", link, links)
        apply_rules(products_rules, "product", link, links)
    except RuleViolation as exc:
        raise progress.fail(
            "artifact-rules", f"{what} {name!r}: {exc.reason}", step=name, rule=exc.rule.text
        ) from exc


def _verify_metadata(
    metadata: SignedMetadata,
    keys: Sequence[InTotoKey],
    *,
    threshold: int,
    link_dir: Path,
    options: _Options,
    progress: _Progress,
    depth: int,
) -> _Verified:
    progress.envelope = metadata.envelope
    if metadata.kind != "layout":
        raise progress.fail("metadata", f"{metadata.source}: expected a layout, got a link")
    # 1. Signatures first: nothing in the layout is read before its signers are known.
    signers = signers_of(metadata, keys)
    progress.signed_by = tuple(key.keyid for key in signers)
    if len(signers) < threshold:
        trusted = ", ".join(key.short_id for key in {k.keyid: k for k in keys}.values())
        raise progress.fail(
            "layout-signature",
            f"layout signed by {len(signers)} of threshold {threshold} layout keys "
            f"(trusted: {trusted}; {len(metadata.signatures)} signatures present)",
        )
    try:
        layout = parse_layout(metadata)
        functionary_keys = {
            keyid: parse_key_dict(raw, f"{metadata.source}: keys[{keyid[:8]}]", keyid=keyid)
            for keyid, raw in layout.keys.items()
        }
        authorities = LayoutAuthorities.of(layout, metadata.source)
    except EvidenceError as exc:
        raise progress.fail("metadata", str(exc)) from exc
    progress.expires = layout.expires
    # 2. Expiry.
    if layout.expires < options.now:
        raise progress.fail(
            "expiry",
            f"layout expired at {_utc(layout.expires)}, expected a layout valid at "
            f"{_utc(options.now)}",
        )
    # 3 and 4.
    links = _verify_steps(
        layout,
        functionary_keys,
        authorities,
        link_dir=link_dir,
        options=options,
        progress=progress,
        depth=depth,
    )
    # 5. Step rules see only step links: inspection links do not exist yet.
    for step in layout.steps:
        _apply(
            "step",
            step.name,
            materials_rules=step.expected_materials,
            products_rules=step.expected_products,
            link=links[step.name],
            links=links,
            progress=progress,
        )
    # 6. Inspections.
    if options.inspection_dir is None:
        progress.inspections_skipped.extend(inspection.name for inspection in layout.inspections)
    else:
        combined = dict(links)
        for inspection in layout.inspections:
            try:
                combined[inspection.name] = inspections.run(
                    inspection, options.inspection_dir, options.inspection_timeout
                )
            except inspections.InspectionFailed as exc:
                raise progress.fail(
                    "inspection", f"inspection {inspection.name!r}: {exc}", step=inspection.name
                ) from exc
            progress.inspections_run.append(inspection.name)
        for inspection in layout.inspections:
            _apply(
                "inspection",
                inspection.name,
                materials_rules=inspection.expected_materials,
                products_rules=inspection.expected_products,
                link=combined[inspection.name],
                links=combined,
                progress=progress,
            )
    return _Verified(layout, links, _summary(layout, links))


def _summary(layout: Layout, links: Mapping[str, Link]) -> Link:
    if not layout.steps:
        return Link("", (), {}, {}, {}, {})
    first, last = links[layout.steps[0].name], links[layout.steps[-1].name]
    return Link(layout.steps[-1].name, last.command, first.materials, last.products, {}, {})


def _bind(verified: _Verified, artifact_hex: str, progress: _Progress) -> tuple[str, ...]:
    # 7. The layout must say something about this artifact.
    if not verified.layout.steps:
        raise progress.fail(
            "artifact-binding", "layout has no steps, so no product can be the artifact"
        )
    last = verified.layout.steps[-1].name
    products = verified.links[last].products
    bound = tuple(
        sorted(path for path, h in products.items() if h.get("sha256", "").lower() == artifact_hex)
    )
    if not bound:
        listed = ", ".join(
            f"{path} (sha256:{products[path].get('sha256', 'none')})"
            for path in sorted(products)[:_LISTED_PRODUCTS]
        )
        more = f" and {len(products) - _LISTED_PRODUCTS} more" if len(products) > 5 else ""
        raise progress.fail(
            "artifact-binding",
            f"artifact sha256:{artifact_hex} is not a product of the final step {last!r}, "
            f"expected one of its products: {listed or 'none'}{more}",
            step=last,
        )
    return bound


def verify_layout(
    layout_path: Path,
    *,
    layout_keys: Sequence[InTotoKey],
    link_dir: Path,
    artifact_sha256: bytes,
    now: datetime,
    threshold: int | None = None,
    run_inspections: bool = False,
    inspection_dir: Path | None = None,
    inspection_timeout: float = inspections.DEFAULT_INSPECTION_TIMEOUT,
) -> LayoutResult:
    """Verify a root layout, its links and sublayouts, and bind it to the artifact.

    `threshold`: how many of `layout_keys` must have signed; None means all of them (in-toto's
    rule). Returns a `LayoutResult` (passed, or failed with the reason); raises `InputError`
    for the operator's inputs (no keys, a bad threshold, an unreadable layout, no link
    directory, inspections asked for without a working directory).
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    unique_keys = list({key.keyid: key for key in layout_keys}.values())
    if not unique_keys:
        raise InputError("expected at least one layout key, got none")
    required = len(unique_keys) if threshold is None else threshold
    if not 1 <= required <= len(unique_keys):
        raise InputError(
            f"expected a layout threshold between 1 and {len(unique_keys)} "
            f"(the number of distinct layout keys), got {required}"
        )
    if not link_dir.is_dir():
        raise InputError(f"{link_dir}: expected a directory of link files")
    if run_inspections and (inspection_dir is None or not inspection_dir.is_dir()):
        raise InputError(
            f"running inspections needs a working directory, got {inspection_dir or 'none'}"
        )
    options = _Options(now, inspection_dir if run_inspections else None, inspection_timeout)
    progress = _Progress(source=str(layout_path), threshold=required)
    artifact_hex = artifact_sha256.hex()
    try:
        try:
            metadata = read_metadata(layout_path)
        except EvidenceError as exc:
            raise progress.fail("metadata", str(exc)) from exc
        verified = _verify_metadata(
            metadata,
            unique_keys,
            threshold=required,
            link_dir=link_dir,
            options=options,
            progress=progress,
            depth=0,
        )
        products = _bind(verified, artifact_hex, progress)
    except LayoutVerificationFailure as exc:
        return progress.result(exc.failure, artifact_hex)
    return progress.result(None, artifact_hex, products)
