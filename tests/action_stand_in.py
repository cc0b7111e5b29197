"""A stand-in for `provenance vet ... --report FMT=PATH` while that command is on another
branch: it vets the `*.bin`/`*.exe` files of a delivery folder with the real
`provenance verify --segment` (in-process), wraps the decisions as vet-result.v1 and writes
each report with the real renderers. Used only by tests/test_action.py, to test the Action's
shell plumbing; the same test also runs the real CLI where `provenance vet` exists.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from provenance.report.render import render
from tests.report_support import decision, vet_result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="provenance")
    parser.add_argument("command", choices=["vet"])
    parser.add_argument("delivery", type=Path)
    parser.add_argument("--policy", type=Path, required=True)
    parser.add_argument("--segment", required=True)
    parser.add_argument("--report", action="append", default=[])
    args = parser.parse_args(argv)
    delivery: Path = args.delivery.resolve()
    assert args.policy.resolve() == delivery / "policy.yaml", "the stand-in reads policy.yaml"
    names = sorted(p.name for p in delivery.iterdir() if p.suffix in (".bin", ".exe"))
    result = vet_result(
        delivery, args.segment, [decision(delivery, n, args.segment) for n in names]
    )
    for report in args.report:
        fmt, _, path = report.partition("=")
        Path(path).write_text(render(fmt, result, color=False), encoding="utf-8")
    verdict = "OK" if result["decision"] == "allow" else "FAIL"
    print(f"{verdict}: {args.delivery}: {result['decision']} for {args.segment}", file=sys.stderr)
    return 0 if result["decision"] == "allow" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
