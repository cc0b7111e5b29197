"""Requirement kinds. Adding one = a module here with `compile_rule(spec, requirements) ->
Rule` (`requirements`: the segment's other effective entries, for kinds that depend on one
another), an entry in `COMPILERS`, and its JSON Schema under `require` in the policy schema."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from provenance.decision.requirements import (
    approvals,
    attestations,
    build_provenance,
    components,
    freshness,
    in_toto,
    licenses,
    rollback,
    sbom,
    signed_by,
    strength,
    version,
    vulnerabilities,
)
from provenance.decision.requirements.baseline import VendorSignature
from provenance.decision.rules import Rule

__all__ = ["COMPILERS", "VendorSignature"]

# In report order: who signed, when, how it was built, what is in it, what version, history,
# then people.
COMPILERS: dict[str, Callable[[Any, Mapping[str, Any]], Rule]] = {
    "signed_by": signed_by.compile_rule,
    "evidence": strength.compile_rule,
    "freshness": freshness.compile_rule,
    "provenance": build_provenance.compile_rule,
    "attestations": attestations.compile_rule,
    "in_toto": in_toto.compile_rule,
    "sbom": sbom.compile_rule,
    "components": components.compile_rule,
    "licenses": licenses.compile_rule,
    "vulnerabilities": vulnerabilities.compile_rule,
    "version": version.compile_rule,
    "rollback": rollback.compile_rule,
    "approvals": approvals.compile_rule,
}
