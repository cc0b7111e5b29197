"""What the gate was doing when something failed: the step and the file, for the CLI's
internal-error line ("internal error while verifying x.sigstore.json: ...").

A step marks an exception on its way out (a note, Python 3.11's `add_note`), so the marker is
still there after the `with` block has ended; the innermost step is the first note added.
Nothing is stored between calls: no state survives the exception.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["doing", "step_of"]

_PREFIX = "provenance step: "


@contextmanager
def doing(step: str, subject: str) -> Iterator[None]:
    """Mark any exception leaving the block with `step` (a verb phrase) and `subject`."""
    try:
        yield
    except BaseException as exc:
        exc.add_note(f"{_PREFIX}{step} {subject}")
        raise


def step_of(exc: BaseException) -> str | None:
    """The innermost step an exception left (`verifying x.sigstore.json`), if any."""
    notes = getattr(exc, "__notes__", ())
    return next((n.removeprefix(_PREFIX) for n in notes if n.startswith(_PREFIX)), None)
