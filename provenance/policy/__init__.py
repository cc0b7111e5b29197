"""The policy file: which vendors may sign what, and which trust roots verify them.

`load_policy(path)` reads a version 1 YAML policy, checks it against the JSON Schema shipped
in `provenance/policy/schema/policy-v1.schema.json`, and compiles it into immutable values.
Every problem is a `provenance.errors.PolicyError` naming the file, line and column.

This package imports PyYAML and jsonschema; `provenance` itself does not import it eagerly.
"""

from __future__ import annotations

from provenance.policy._loader import load_policy
from provenance.policy._model import Policy, Vendor

__all__ = ["Policy", "Vendor", "load_policy"]
