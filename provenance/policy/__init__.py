"""The policy file: which vendors may sign what, and what each network segment requires.

`load_policy(path)` reads a version 1 YAML policy, checks it against the JSON Schema shipped
in `provenance/policy/schema/policy-v1.schema.json` and then semantically (keys, references
between vendors, groups and segments, `extends` chains, counts that can be met), and compiles
it into immutable values. The first problem is a `provenance.errors.PolicyError` naming the
file, line and column. `lint_policy(path)` reports every problem, and warnings besides.

This package imports PyYAML and jsonschema; `provenance` itself does not import it eagerly.
"""

from __future__ import annotations

from provenance.policy._lint import LintProblem, lint_policy
from provenance.policy._loader import load_policy
from provenance.policy._model import Group, Policy, Product, Segment, Vendor
from provenance.policy._yaml import Mark

__all__ = [
    "Group",
    "LintProblem",
    "Mark",
    "Policy",
    "Product",
    "Segment",
    "Vendor",
    "lint_policy",
    "load_policy",
]
