"""The public library entry points, one per command (implemented in `provenance.commands`).

Each runs the pipeline of DESIGN.md for its command and returns a result object; failures of
verification are results, and only `UsageError` (the command could not run) is raised.
"""

from __future__ import annotations

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
