"""JSON from untrusted files: one loader, so every parser fails the same clean way.

`json.loads` raises `RecursionError` on deeply nested input (a 2 KB payload suffices) and
`ValueError` on numbers too long to convert; both are malformed input, not crashes.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["MalformedJson", "load_json"]


class MalformedJson(ValueError):
    """Not JSON, or JSON nested or sized beyond what any real document needs."""


def load_json(data: bytes | str) -> Any:
    try:
        return json.loads(data)
    except RecursionError as exc:
        raise MalformedJson("nested too deeply") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedJson(str(exc)) from exc
