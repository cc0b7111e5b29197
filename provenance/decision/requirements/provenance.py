"""`provenance` (`provenance.policy.requirements.provenance`): what verified SLSA provenance
must say about how the artifact was built.

One attestation must meet every stated claim; the finding names each claim
that failed, expected vs got, for the attestation that came closest.

SLSA build level: what the verified evidence supports, not what the provenance claims.
1. Level 1: SLSA provenance (v0.2 or v1) about this digest, signed by a signer of a vendor in
   `from`.
2. Level 2: signed with a Sigstore keyless certificate issued to a hosted CI platform's
   workload identity (its OIDC issuer is one of `HOSTED_BUILD_ISSUERS`): the platform, not a
   person holding a key, vouched for the build that signed. A key signature stays level 1: a
   key cannot show where it was used.
3. Level 3: level 2, and the signing identity is one of the policy's `isolated_builders` and
   equals the provenance's builder.id: provenance generated and signed by an isolated,
   reusable builder that the build's own steps cannot influence (slsa-github-generator's model;
   slsa-verifier trusts the same builders by name).
An upstream VSA (`vsa`) from a trusted verifier replaces the provenance: it must be about
this digest (checked with its signature), PASSED, under a policy matching `vsa.policy`, and
vouch for at least `slsa_build_level` (or level 1 if none is stated).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from provenance.decision.context import DecisionContext
from provenance.decision.requirements import RuleKind
from provenance.decision.requirements.version import parse_version
from provenance.decision.rules import Finding
from provenance.evidence.slsa import BuildProvenance, VerificationSummary
from provenance.facts import AttestationFact
from provenance.policy.requirements import Requirements, VersionRange
from provenance.policy.requirements.provenance import ProvenanceSpec
from provenance.verification.matching import Pattern

__all__ = ["HOSTED_BUILD_ISSUERS", "RULE", "ProvenanceRequirement", "build_level"]

HOSTED_BUILD_ISSUERS = (
    "https://token.actions.githubusercontent.com",  # GitHub Actions
    "https://gitlab.com",  # GitLab.com CI/CD
    "https://agent.buildkite.com",  # Buildkite
)
_TAG_PREFIX = "refs/tags/"


def build_level(fact: AttestationFact, isolated_builders: Sequence[Pattern]) -> int:
    """The SLSA build level the evidence for `fact` supports (see the module's steps)."""
    if not isinstance(fact.claims, BuildProvenance):
        return 0
    signature = fact.signature
    if signature.signer_kind != "sigstore-identity" or signature.issuer not in HOSTED_BUILD_ISSUERS:
        return 1
    identity = signature.identity or ""
    if identity == fact.claims.builder_id and any(p.matches(identity) for p in isolated_builders):
        return 3
    return 2


@dataclass(frozen=True)
class ProvenanceRequirement:
    spec: ProvenanceSpec
    vendors: tuple[str, ...] | None  # whose attestations count; None: any vendor of the policy
    name: str = "provenance"

    def evaluate(self, context: DecisionContext) -> Finding:
        vsa = self._vsa(context)
        if vsa is not None:
            return vsa
        candidates = [
            fact
            for fact in context.attestations
            if isinstance(fact.claims, BuildProvenance) and self._counts(fact)
        ]
        if not candidates:
            return Finding(self.name, False, self._none_found(context))
        attempts = [(self._mismatches(fact), fact) for fact in candidates]
        attempts.sort(key=lambda attempt: len(attempt[0]))
        mismatches, closest = attempts[0]
        evidence = _evidence(closest)
        if mismatches:
            return Finding(self.name, False, "; ".join(mismatches), evidence)
        level = build_level(closest, self.spec.isolated_builders)
        claims = closest.claims
        assert isinstance(claims, BuildProvenance)
        return Finding(
            self.name,
            True,
            f"SLSA provenance by {closest.signature.vendor}: builder {claims.builder_id}, "
            f"source {claims.source_uri or '?'}@{claims.source_ref or '?'}, build level {level}",
            {**evidence, "slsa_build_level": level},
        )

    def _counts(self, fact: AttestationFact) -> bool:
        vendor = fact.signature.vendor
        return vendor is not None and (self.vendors is None or vendor in self.vendors)

    def _none_found(self, context: DecisionContext) -> str:
        by = f" signed by {', '.join(self.vendors)}" if self.vendors else " signed by a vendor"
        others = sorted({fact.predicate_type for fact in context.attestations})
        got = f"only attestations of type {', '.join(others)}" if others else "none"
        if self.spec.vsa is not None:
            got += f", and no passing VSA by {', '.join(self.spec.vsa.vendors)}"
        return f"expected SLSA provenance about this artifact{by}, got {got}"

    def _mismatches(self, fact: AttestationFact) -> list[str]:
        claims = fact.claims
        assert isinstance(claims, BuildProvenance)
        got = {
            "builder_id": claims.builder_id,
            "build_type": claims.build_type,
            "source": claims.source_uri,
            "ref": claims.source_ref,
        }
        wrong = [
            f"{claim}: expected {pattern}, got {got[claim]!r}"
            for claim, pattern in self.spec.claims.items()
            if got[claim] is None or not pattern.matches(got[claim] or "")
        ]
        if self.spec.tag_version is not None:
            problem = self._tag_problem(self.spec.tag_version, claims.source_ref)
            if problem:
                wrong.append(problem)
        for path, pattern in self.spec.external_parameters.items():
            value = _lookup(claims.external_parameters, path)
            if not isinstance(value, str) or not pattern.matches(value):
                shown = repr(value) if isinstance(value, str) else _kind(value)
                wrong.append(f"external_parameters.{path}: expected {pattern}, got {shown}")
        wanted = self.spec.slsa_build_level
        if wanted is not None:
            level = build_level(fact, self.spec.isolated_builders)
            if level < wanted:
                wrong.append(
                    f"slsa_build_level: expected {wanted}, got {level} "
                    f"({_level_reason(fact, level)})"
                )
        return wrong

    def _tag_problem(self, tags: VersionRange, ref: str | None) -> str | None:
        wanted = f"tag_version: expected a tag matching {tags.text}"
        if ref is None or not ref.startswith(_TAG_PREFIX):
            return f"{wanted}, got ref {ref!r}"
        tag = ref.removeprefix(_TAG_PREFIX)
        version = parse_version(tag.removeprefix("v"))
        if version is None or not tags.contains(version):
            return f"{wanted}, got tag {tag!r}"
        return None

    def _vsa(self, context: DecisionContext) -> Finding | None:
        """A passing upstream VSA, if one is accepted and present; None otherwise."""
        accepted = self.spec.vsa
        if accepted is None:
            return None
        wanted = self.spec.slsa_build_level or 1
        for fact in context.attestations:
            summary = fact.claims
            if not isinstance(summary, VerificationSummary):
                continue
            if fact.signature.vendor not in accepted.vendors:
                continue
            if (
                summary.verification_result == "PASSED"
                and summary.build_level >= wanted
                and summary.policy_uri is not None
                and accepted.policy.matches(summary.policy_uri)
                and (accepted.resource is None or accepted.resource.matches(summary.resource_uri))
            ):
                return Finding(
                    self.name,
                    True,
                    f"upstream VSA by {fact.signature.vendor} (verifier {summary.verifier_id}): "
                    f"PASSED at SLSA build level {summary.build_level} under {summary.policy_uri}",
                    {"vsa": fact.signature.bundle, "resource_uri": summary.resource_uri},
                )
        return None

    def describe(self) -> str:
        spec = self.spec
        parts = [f"{claim} {pattern}" for claim, pattern in spec.claims.items()]
        if spec.tag_version is not None:
            parts.append(f"a tag matching {spec.tag_version.text}")
        parts += [f"{path} {pattern}" for path, pattern in spec.external_parameters.items()]
        if spec.slsa_build_level is not None:
            parts.append(f"SLSA build level {spec.slsa_build_level} or higher")
        whose = f" by {', '.join(self.vendors)}" if self.vendors else ""
        text = f"verified SLSA provenance{whose}" + (": " + ", ".join(parts) if parts else "")
        if spec.vsa is not None:
            text += f" (or a passing VSA by {', '.join(spec.vsa.vendors)})"
        return text


def _level_reason(fact: AttestationFact, level: int) -> str:
    signature = fact.signature
    if level == 1 and signature.signer_kind == "key":
        return "signed with a key, which cannot show a hosted build platform signed it"
    if level == 1:
        return f"signing identity issued by {signature.issuer}, not a hosted CI platform"
    return "the signer is not one of the policy's isolated builders, or is not the builder.id"


def _lookup(parameters: Mapping[str, Any], path: str) -> Any:
    value: Any = parameters
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {"dict": "an object", "list": "a list"}.get(type(value).__name__, repr(value))


def _evidence(fact: AttestationFact) -> dict[str, Any]:
    claims = fact.claims
    assert isinstance(claims, BuildProvenance)
    return {
        "attestation": fact.signature.bundle,
        "vendor": fact.signature.vendor,
        "predicate_type": fact.predicate_type,
        "builder_id": claims.builder_id,
        "build_type": claims.build_type,
        "source": claims.source_uri,
        "ref": claims.source_ref,
    }


def _compile(spec: ProvenanceSpec, requirements: Requirements) -> ProvenanceRequirement:
    return ProvenanceRequirement(spec, requirements.vendors_counted(spec.vendors))


RULE = RuleKind(ProvenanceSpec, _compile)
