"""`provenance policy lint | explain | test`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from provenance._cli import cli
from provenance._cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    InputPath,
    library_errors,
    state_dir_option,
    verdict,
)


@cli.group()
def policy() -> None:
    """Check, explain and test a site policy."""


@policy.command()
@click.argument("path", type=InputPath("a policy file"))
@click.option(
    "--site-key",
    type=click.Path(path_type=Path),
    help="The site key to check too (default: $PROVENANCE_SITE_KEY, else site.key in the "
    "state directory): an unencrypted PEM file is a warning.",
)
@state_dir_option
def lint(path: Path, site_key: Path | None, state_dir: Path | None) -> None:
    """Report every problem in the policy at PATH as file:line:column: severity: message.

    \b
    Exit codes: 0 no errors (warnings are printed), 1 errors, 2 the file cannot be read.
    """
    from provenance.commands.key_lint import site_key_warnings
    from provenance.policy import lint_policy

    with library_errors():
        problems = lint_policy(path) + site_key_warnings(site_key, state_dir)
    for problem in problems:
        click.echo(str(problem))
    errors = sum(problem.severity == "error" for problem in problems)
    warnings = len(problems) - errors
    verdict = "FAIL" if errors else "OK"
    click.echo(f"{verdict}: {path}: {errors} error(s), {warnings} warning(s)", err=True)
    sys.exit(EXIT_FAILED if errors else EXIT_OK)


@policy.command()
@click.argument("path", type=InputPath("a policy file"))
@click.option("--segment", required=True, help="The segment to explain.")
def explain(path: Path, segment: str) -> None:
    """Print what an artifact must show to enter SEGMENT, inherited requirements included."""
    from provenance.commands.policy_explain import explain_segment

    with library_errors():
        explained = explain_segment(path, segment)
    click.echo(f"To enter {segment}, an artifact needs:")
    for item in explained:
        origin = f"  [{item.where}, from {item.origin}]" if item.origin else "  [built in]"
        click.echo(f"  - {item.kind}: {item.words}{origin}")


@policy.command("test")
@click.argument("path", type=InputPath("a policy file"))
@click.argument("cases", type=InputPath("recorded cases", directory=True))
def test_cases(path: Path, cases: Path) -> None:
    """Run the recorded decision cases in CASES (one folder each) against the policy at PATH.

    Exit 1 if any case's decision differs from what it expects.
    """
    from provenance.commands.policy_test import run_policy_tests

    with library_errors():
        results = run_policy_tests(path, cases)
    for result in results:
        if result.passed:
            click.echo(verdict("PASS", result.name, result.got))
        else:
            click.echo(verdict("FAIL", result.name, result.detail))
    failed = sum(not result.passed for result in results)
    summary = f"{len(results) - failed} of {len(results)} cases as expected"
    click.echo(verdict("FAIL" if failed else "OK", str(cases), summary), err=True)
    sys.exit(EXIT_FAILED if failed else EXIT_OK)
