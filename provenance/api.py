"""The public library entry points, one per command (implemented in `provenance.commands`).

Each runs the pipeline of DESIGN.md for its command and returns a result object; failures of
verification are results, and only `UsageError` (the command could not run) is raised.

Names load on first use, as in `provenance/__init__.py`: importing this module for `verify`
must not load the gate (policy loader, X.509, in-toto, SBOM, record) that `admit` needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from provenance.commands.admit import AdmitResult, admit
    from provenance.commands.approve import Approval, approve
    from provenance.commands.audit import (
        AuditVerifyResult,
        CheckpointResult,
        audit_checkpoint,
        audit_export,
        audit_verify,
    )
    from provenance.commands.check import CheckResult, check
    from provenance.commands.check_vsa import check_vsa
    from provenance.commands.evaluate import Evaluation, evaluate
    from provenance.commands.keys import generate as generate_key
    from provenance.commands.kit import KitImportResult, kit_export, kit_import
    from provenance.commands.ledger import MigrateResult, ledger_migrate
    from provenance.commands.policy_explain import explain_segment
    from provenance.commands.policy_test import CaseResult, run_policy_tests
    from provenance.commands.sbom_check import SbomCheckResult, check_sbom
    from provenance.commands.verify import verify
    from provenance.commands.verify_npm import verify_npm

__all__ = [
    "AdmitResult",
    "Approval",
    "AuditVerifyResult",
    "CaseResult",
    "CheckResult",
    "CheckpointResult",
    "Evaluation",
    "KitImportResult",
    "MigrateResult",
    "SbomCheckResult",
    "admit",
    "approve",
    "audit_checkpoint",
    "audit_export",
    "audit_verify",
    "check",
    "check_sbom",
    "check_vsa",
    "evaluate",
    "explain_segment",
    "generate_key",
    "kit_export",
    "kit_import",
    "ledger_migrate",
    "run_policy_tests",
    "verify",
    "verify_npm",
]

# module -> the names it provides here (as `name` or `name:attribute there`)
_MODULES = {
    "provenance.commands.admit": ("AdmitResult", "admit"),
    "provenance.commands.approve": ("Approval", "approve"),
    "provenance.commands.audit": (
        "AuditVerifyResult",
        "CheckpointResult",
        "audit_checkpoint",
        "audit_export",
        "audit_verify",
    ),
    "provenance.commands.check": ("CheckResult", "check"),
    "provenance.commands.check_vsa": ("check_vsa",),
    "provenance.commands.evaluate": ("Evaluation", "evaluate"),
    "provenance.commands.keys": ("generate_key:generate",),
    "provenance.commands.kit": ("KitImportResult", "kit_export", "kit_import"),
    "provenance.commands.ledger": ("MigrateResult", "ledger_migrate"),
    "provenance.commands.policy_explain": ("explain_segment",),
    "provenance.commands.policy_test": ("CaseResult", "run_policy_tests"),
    "provenance.commands.sbom_check": ("SbomCheckResult", "check_sbom"),
    "provenance.commands.verify": ("verify",),
    "provenance.commands.verify_npm": ("verify_npm",),
}
# name -> (module, attribute there)
_HOME = {
    name.partition(":")[0]: (module, name.rpartition(":")[2])
    for module, names in _MODULES.items()
    for name in names
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'provenance.api' has no attribute {name!r}")
    module, attribute = home
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value
