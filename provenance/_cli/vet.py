"""`provenance vet`, and the `--report FMT=PATH` option it shares with `verify --segment`."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from provenance._cli import cli
from provenance._cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    InputPath,
    state_dir_option,
    usage_exit,
    verdict,
)
from provenance.inputs.files import describe_file_type

if TYPE_CHECKING:
    from provenance.commands.vet import Progress, VetResult

__all__ = ["REPORT_FORMATS", "ReportTarget", "parse_reports", "report_options", "write_reports"]

REPORT_FORMATS = ("text", "json", "sarif", "junit", "markdown", "html")

ReportTarget = tuple[str, Path]

_EXIT_CODES = """\b
Exit codes:
  0  every artifact in the delivery is allowed
  1  an artifact is denied, or the archive was refused (unsafe or over a limit)
  2  could not run as asked (bad flags, unreadable delivery, invalid policy or segment)"""


def report_options(command: Callable[..., None]) -> Callable[..., None]:
    """`--report FMT=PATH` (repeatable), `--force` and `--sarif-root`."""
    command = click.option(
        "--sarif-root",
        type=click.Path(file_okay=False, path_type=Path),
        metavar="DIR",
        help="SARIF paths are relative to DIR, the repository checkout (default: "
        "$GITHUB_WORKSPACE, else the current directory).",
    )(command)
    command = click.option("--force", is_flag=True, help="Overwrite existing --report files.")(
        command
    )
    return click.option(
        "--report",
        "reports",
        multiple=True,
        metavar="FMT=PATH",
        help=f"Also write a report to a file (repeatable; FMT: {', '.join(REPORT_FORMATS)}). "
        "An existing file is kept unless --force.",
    )(command)


def parse_reports(specs: Sequence[str], *, force: bool) -> list[ReportTarget]:
    """The --report targets, checked before anything runs (exit 2 on a bad one)."""
    targets: list[ReportTarget] = []
    for spec in specs:
        fmt, sep, path = spec.partition("=")
        if not sep or not path:
            usage_exit(f"--report {spec}: expected FMT=PATH, for example html=report.html")
        if fmt not in REPORT_FORMATS:
            usage_exit(
                f"--report {spec}: unknown format {fmt!r}, expected one of "
                f"{', '.join(REPORT_FORMATS)}"
            )
        target = Path(path)
        if target.is_dir():
            usage_exit(f"--report {spec}: {path} is a directory, expected a file")
        kind = describe_file_type(target.stat().st_mode) if target.exists() else None
        if kind is not None:  # writing to a FIFO or device would block or go astray
            usage_exit(f"--report {spec}: {path} is {kind}, expected a file")
        if target.exists() and not force:
            usage_exit(f"--report {spec}: {path} exists (give --force to overwrite it)")
        if not target.parent.is_dir():
            usage_exit(f"--report {spec}: no such directory {target.parent}")
        if any(target == other for _, other in targets):
            usage_exit(f"--report {spec}: {path} named twice")
        targets.append((fmt, target))
    return targets


def write_reports(
    targets: Sequence[ReportTarget],
    result: Mapping[str, Any],
    *,
    force: bool,
    sarif_root: Path | None = None,
    json_result: Mapping[str, Any] | None = None,
) -> None:
    """Render every report first (a format this build lacks writes nothing), then write.
    `json_result`: what `json` writes instead of `result` (`verify --segment`: the decision,
    the same document as its `--format json`; the other formats render `result`)."""
    rendered = [
        (
            path,
            _render(
                fmt,
                json_result if fmt == "json" and json_result is not None else result,
                color=False,
                sarif_root=sarif_root,
            ),
        )
        for fmt, path in targets
    ]
    for path, text in rendered:
        try:
            with path.open("w" if force else "x", encoding="utf-8") as handle:
                handle.write(text)
        except FileExistsError:
            usage_exit(f"--report: {path} exists (give --force to overwrite it)")
        except OSError as exc:
            usage_exit(f"--report: cannot write {path}: {exc.strerror or exc}")


def _render(
    fmt: str, result: Mapping[str, Any], *, color: bool, sarif_root: Path | None = None
) -> str:
    import json

    from provenance.errors import UsageError
    from provenance.report.render import render

    if fmt == "json":
        return json.dumps(result, indent=2) + "\n"
    try:
        return render(fmt, result, color=color, sarif_root=sarif_root)
    except UsageError as exc:
        usage_exit(str(exc))


def _color(stream: Any) -> bool:
    return "NO_COLOR" not in os.environ and bool(getattr(stream, "isatty", lambda: False)())


@cli.command(epilog=_EXIT_CODES)
@click.argument("delivery", type=InputPath("a delivery (an archive)", directory=True))
@click.option(
    "--policy",
    required=True,
    type=InputPath("the site policy"),
    metavar="FILE",
    help="The site policy: signers, trust roots and each segment's requirements.",
)
@click.option("--segment", required=True, metavar="NAME", help="The segment to decide for.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(REPORT_FORMATS),
    default="text",
    show_default=True,
    help="Report on stdout; verdict lines are on stderr.",
)
@report_options
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    metavar="N",
    help="Processes deciding in parallel (default: one per CPU; 1: none).",
)
@click.option(
    "--quiet",
    "-q",
    is_flag=True,
    help="No report on stdout, no progress bar and no per-artifact lines: only the delivery's "
    "verdict on stderr and the exit code (--report files are still written).",
)
@state_dir_option
def vet(
    *,
    delivery: Path,
    policy: Path,
    segment: str,
    output_format: str,
    reports: tuple[str, ...],
    force: bool,
    sarif_root: Path | None,
    workers: int | None,
    quiet: bool,
    state_dir: Path | None,
) -> None:
    """Decide about every file of a vendor DELIVERY (a directory, .zip, .tar, .tar.gz, .tar.xz)
    for one segment, offline.

    An archive is extracted into a private temporary directory (path traversal, links, device
    files, bombs and deep nesting are refused). Evidence is found by name and by content;
    every other file is an artifact and gets a decision; anything else is listed.
    """
    from provenance.commands.vet import vet as run_vet
    from provenance.errors import UsageError
    from provenance.report.vet_json import vet_to_dict

    targets = parse_reports(reports, force=force)
    try:
        with _progress(quiet) as progress:
            result = run_vet(
                delivery,
                policy_path=policy,
                segment=segment,
                workers=workers,
                progress=progress,
                state_dir=state_dir,
            )
    except UsageError as exc:
        usage_exit(str(exc))
    document = vet_to_dict(result)
    write_reports(targets, document, force=force, sarif_root=sarif_root)
    if not quiet:
        click.echo(
            _render(output_format, document, color=_color(sys.stdout), sarif_root=sarif_root),
            nl=False,
        )
    for line in _verdict_lines(result, quiet=quiet):
        click.echo(line, err=True)
    sys.exit(EXIT_OK if result.allowed else EXIT_FAILED)


@contextmanager
def _progress(quiet: bool) -> Iterator[Progress | None]:
    """A progress bar on stderr when it is a terminal; otherwise nothing at all."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    bar: Any = None
    shown = 0

    def update(done: int, total: int) -> None:
        nonlocal bar, shown
        if bar is None:
            bar = click.progressbar(length=total, label="vetting", file=sys.stderr)
            bar.__enter__()
        bar.update(done - shown)
        shown = done

    try:
        yield update
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


def _verdict_lines(result: VetResult, *, quiet: bool) -> list[str]:
    where, segment = str(result.delivery_path), result.segment
    if result.refused is not None:
        return [verdict("FAIL", where, f"refused: {result.refused}")]
    denied = [item for item in result.artifacts if item["decision"] != "allow"]
    lines = []
    if not quiet:
        lines = [
            verdict("FAIL", where, f"{item.name}: refused: {item.reason}")
            for item in result.refused_files
        ]
        lines += [
            verdict(
                "FAIL",
                where,
                f"{item['artifact']['name']}: denied for {segment}: {item['reason'] or ''}",
            )
            for item in denied
        ]
    total = len(result.artifacts)
    refused = len(result.refused_files)
    if not total:
        lines.append(verdict("FAIL", where, "no artifact in the delivery to decide about"))
    elif denied or refused:
        counts = [f"{len(denied)} of {total} artifacts denied"] if denied else []
        counts += [f"{refused} file(s) refused"] if refused else []
        lines.append(verdict("FAIL", where, f"denied for {segment}: {', '.join(counts)}"))
    else:
        lines.append(verdict("OK", where, f"all {total} artifacts allowed for {segment}"))
    return lines
