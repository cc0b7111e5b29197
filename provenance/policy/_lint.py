"""`provenance policy lint`: every problem in a policy file, not only the first.

Algorithm (`lint_policy`):
1. Read and parse the YAML (`load_yaml_file`). A file that cannot be read at all raises
   `PolicyError` (the command could not run); a YAML problem is the only problem reported,
   since nothing after it can be read.
2. Check the top level (a mapping, `version: 1`); a problem there is the only one reported: a
   later version is not judged by this version's rules.
3. Every schema problem (errors).
4. Every problem the schema cannot find (`check_document`), even where the schema failed;
   an error at the position of a schema error says the same thing again and is dropped.
   These are the errors `load_policy` raises the first of, plus warnings, which do not stop
   a policy from loading:
   - a regular expression that matches any value or the empty string, joins words with an
     unescaped `.` (`github.com` also matches `githubXcom`), or starts with `^` / ends with
     `$` (redundant: it is matched in full anyway);
   - a version specifier no version can match (the segment can never be entered);
   - a segment whose own entry is weaker than the one it replaces from the segment it
     extends (fewer approvals or vendor signatures, a larger `max_age_days`, an earlier or
     dropped `not_before`; each kind's `weakening`), leaving out a setting whose value
     fails the schema in either entry;
   - a vendor no segment's `signed_by` names (when every segment has one), a group no
     segment's `approvals` names.
5. Sort in file order; errors before warnings at the same position.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from provenance.errors import PolicyError
from provenance.policy._loader import check_document, check_top_level, read_policy_document
from provenance.policy._schema import SCHEMA_V1, schema_problems

__all__ = ["LintProblem", "lint_policy"]

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class LintProblem:
    """One problem, printed as `path:line:column: severity: message`.

    `message` starts with the path of the value in the file, as `PolicyError` messages do:
    `segments.level1.extends: unknown segment 'level3' (expected one of: ...)`.
    """

    path: str
    line: int
    column: int
    severity: Severity
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.severity}: {self.message}"


def _problem(error: PolicyError, severity: Severity) -> LintProblem:
    # Every problem found in a parsed file has a position; the top of the file otherwise.
    return LintProblem(error.path, error.line or 1, error.column or 1, severity, error.problem)


def lint_policy(path: Path) -> list[LintProblem]:
    """Every error and warning in the policy file at `path`, in file order; [] if clean.

    Raises `PolicyError` only if the file cannot be read at all (missing, not a regular file,
    larger than `MAX_POLICY_BYTES`).
    """
    try:
        document = read_policy_document(path)
    except PolicyError as exc:
        if exc.line is None:
            raise
        return [_problem(exc, "error")]
    top = check_top_level(document)
    if top is not None:
        return [_problem(top, "error")]
    schema = schema_problems(document, SCHEMA_V1)
    checked = check_document(document, path)
    taken = {(e.line, e.column) for e in schema}
    errors = schema + [e for e in checked.errors if (e.line, e.column) not in taken]
    problems = [_problem(e, "error") for e in errors]
    problems += [_problem(w, "warning") for w in checked.warnings]
    return sorted(problems, key=lambda p: (p.line, p.column, p.severity != "error", p.message))
