"""One exception root, with typed subclasses that map onto the CLI's exit codes.

- `UsageError` (exit 2): the tool could not run as asked: bad flags, unreadable input files,
  an invalid policy or trust root. Nothing was decided.
- `VerificationFailure` (exit 1): a piece of evidence did not verify. Malformed evidence is a
  failed verification, not a usage error: an attacker controls the evidence, not the operator.

The CLI catches only `ProvenanceError`; any other exception is a bug and shows a traceback
instead of posing as a denial.
"""

from __future__ import annotations

__all__ = [
    "EvidenceError",
    "InputError",
    "PolicyError",
    "ProvenanceError",
    "TrustRootError",
    "UsageError",
    "VerificationFailure",
]


class ProvenanceError(Exception):
    """Root of every error this package raises on purpose."""


class UsageError(ProvenanceError):
    """The command cannot run as asked (exit code 2)."""


class InputError(UsageError):
    """An input named on the command line is missing, unreadable or not what it claims."""


class TrustRootError(UsageError):
    """A trust root (for example a Sigstore `trusted_root.json`) is unreadable or invalid."""


class PolicyError(UsageError):
    """A policy file is invalid; carries the position of the problem."""

    def __init__(self, path: str, line: int | None, column: int | None, problem: str) -> None:
        self.path = path
        self.line = line
        self.column = column
        self.problem = problem
        where = path
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        super().__init__(f"{where}: {problem}")


class VerificationFailure(ProvenanceError):
    """A check failed. The message says what was checked, what was expected and what was got."""

    def __init__(self, message: str, *, check: str = "") -> None:
        self.check = check
        super().__init__(message)


class EvidenceError(VerificationFailure):
    """Evidence (a bundle, an envelope, a statement) is malformed; it is never trusted."""
