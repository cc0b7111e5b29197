"""`provenance verify` for people: the verdict line, and what each check established."""

from __future__ import annotations

from provenance.decision.verify_result import VerifyResult
from provenance.report.lines import one_line, verdict

__all__ = ["render_text", "verdict_line"]


def verdict_line(result: VerifyResult) -> str:
    """`OK: <artifact>` or `FAIL: <artifact>: <reason>`; always exactly one line."""
    if result.decision == "verified":
        return verdict("OK", result.artifact.name)
    return verdict("FAIL", result.artifact.name, result.reason)


def render_text(result: VerifyResult) -> str:
    lines = [
        f"artifact  {result.artifact.name}",
        f"sha256    {result.artifact.sha256.hex()}",
        f"bundle    {result.bundle}",
    ]
    fact = result.fact
    if fact is not None:
        who = fact.identity or fact.key_id
        lines.append(f"signer    {who}" + (f" ({fact.issuer})" if fact.issuer else ""))
        lines.append(f"signed    {fact.time_text()}")
    for outcome in result.outcomes:
        if len(result.outcomes) > 1 or outcome.trust_root:
            lines.append(f"trust root {outcome.trust_root}:")
        for check in outcome.checks:
            mark = "ok  " if check.passed else "FAIL"
            lines.append(f"  {mark} {check.name:<16} {one_line(check.detail)}")
    return "\n".join(lines) + "\n"
