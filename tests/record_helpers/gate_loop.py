"""One gate host admitting artifacts in a loop through the library's `admit` (what the CLI
calls), for the load test and the benchmark: several of these run at once against one ledger.

Each iteration writes a new artifact (random bytes) and admits it to the northwind fixture
policy's `test-bench` segment with its published SHA-256 (the policy's cheapest evidence: the
load is on the ledger, not on signature checks), signed by this host's own site key, then
prints `admitted <sha256>` once `admit` has returned (so after COMMIT).

Usage: gate_loop.py --state-dir DIR --site-key KEY --count N --name NAME [--ledger URI]
                    [--start-at UNIX_TIME]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import time
from pathlib import Path

from provenance.commands.admit import admit

REPO = Path(__file__).parents[2]
POLICY = REPO / "fixtures/northwind-delivery/policy.yaml"
SEGMENT = "test-bench"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--site-key", type=Path, required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--ledger")
    parser.add_argument("--start-at", type=float, default=0.0)
    arguments = parser.parse_args()
    rng = random.Random(f"{arguments.name} {os.getpid()}")
    work = arguments.state_dir.parent / f"sources-{arguments.name}-{os.getpid()}"
    work.mkdir(parents=True)
    while time.time() < arguments.start_at:  # start together, imports done
        time.sleep(0.005)
    for index in range(arguments.count):
        source = work / f"{arguments.name}-{index}.bin"
        data = f"{arguments.name} {index} ".encode() + rng.randbytes(rng.randrange(1, 64 * 1024))
        source.write_bytes(data)
        result = admit(
            source,
            [],
            policy_path=POLICY,
            segment=SEGMENT,
            state_dir=arguments.state_dir,
            site_key=arguments.site_key,
            expected_sha256=hashlib.sha256(data).hexdigest(),
            ledger=arguments.ledger,
            busy_timeout=60.0,
        )
        if not result.allowed:
            raise SystemExit(f"denied: {result.decision.reason}")
        source.unlink()
        print(f"admitted {result.sha256}", flush=True)


if __name__ == "__main__":
    main()
