"""Open (creating) a state directory and ledger at a given wall-clock time, then write once.

Several of these started together race to create the same new ledger.
Usage: open_at.py STATE_DIR UNIX_TIME
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from provenance.record import Ledger, StateDir

BUSY_TIMEOUT_SECONDS = 5.0


def main() -> None:
    state_dir, start = Path(sys.argv[1]), float(sys.argv[2])
    while time.time() < start:  # spin: a sleep would spread the starts out again
        pass
    state = StateDir.open(state_dir, create=True)
    with (
        Ledger.open(state.ledger_path, create=True, busy_timeout=BUSY_TIMEOUT_SECONDS) as ledger,
        ledger.transaction(),
    ):
        pass


if __name__ == "__main__":
    main()
