"""Mutators: bytes alone stay shallow where a strict parser refuses most changes before the
interesting part (a bundle's certificate is base64 inside JSON; a CMS field is deep in DER),
so each input shape has a mutator that keeps the outer structure and changes what is inside.

Every mutator is a pure function of (data, random generator): the smoke test is repeatable.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
from collections.abc import Callable
from typing import Any

__all__ = ["mutate"]

# Values that break careless code: types in the wrong place, edge numbers, hostile strings.
_JSON_VALUES: tuple[Any, ...] = (
    None,
    True,
    0,
    -1,
    2**64,
    1.5,
    "",
    "\udcff",
    "a\u0000b",
    "\u202eevil",
    "x" * 300,
    "pkg:generic/a/b@1",
    "2026-02-30T00:00:00Z",
    [],
    {},
    ["x"],
    {"x": "y"},
)
_TEXT_NOISE = ("\x00", "\r", "\n", "\x1b[31m", "\u202e", "é", "*", "  ", "\\", "#", ":", "-")


def mutate(data: bytes, shape: str, rng: random.Random, others: list[bytes]) -> bytes:
    """One mutation of `data` of the given shape; `others` are seeds to splice with."""
    structured = _STRUCTURED.get(shape)
    if structured is not None and rng.random() < 0.7:
        changed = structured(data, rng)
        if changed is not None:
            return changed
    return _bytes(data, rng, others)


def _bytes(data: bytes, rng: random.Random, others: list[bytes]) -> bytes:
    buf = bytearray(data)
    choice = rng.randrange(7)
    if not buf or choice == 0:
        other = rng.choice(others) if others else b""
        cut = rng.randrange(len(other) + 1)
        return bytes(buf[: rng.randrange(len(buf) + 1)] + other[cut:])
    at = rng.randrange(len(buf))
    if choice == 1:
        buf[at] ^= 1 << rng.randrange(8)
    elif choice == 2:
        buf[at] = rng.choice((0x00, 0xFF, 0x7F, 0x80, 0x30, 0x22, 0x5C))
    elif choice == 3:
        del buf[at : at + rng.randrange(1, 64)]
    elif choice == 4:
        chunk = buf[at : at + rng.randrange(1, 64)]
        buf[at:at] = chunk * rng.randrange(1, 4)
    elif choice == 5:
        buf[at:at] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 9)))
    else:
        return bytes(buf[:at])
    return bytes(buf)


# -- JSON: change one value, or the bytes inside a base64 field ----------------------------------


def _json(data: bytes, rng: random.Random) -> bytes | None:
    try:
        document = json.loads(data)
    except ValueError:
        return None
    paths = list(_paths(document, ()))
    if not paths:
        return None
    path = rng.choice(paths)
    value = _get(document, path)
    if isinstance(value, str) and rng.random() < 0.5:
        changed: Any = _inside_base64(value, rng)
    elif isinstance(value, str) and rng.random() < 0.3:
        changed = value[: rng.randrange(len(value) + 1)] + rng.choice(_TEXT_NOISE)
    else:
        changed = rng.choice(_JSON_VALUES)
    document = _set(document, path, changed)
    text = json.dumps(document, ensure_ascii=rng.random() < 0.5)
    if rng.random() < 0.05 and text.startswith("{"):
        text = '{"_dup": 1, "_dup": 2, ' + text[1:]  # duplicate keys
    return text.encode("utf-8", "surrogatepass")


def _inside_base64(value: str, rng: random.Random) -> str:
    """A base64 field (a certificate, a signature, a payload) with its decoded bytes changed."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return value + "="
    if not raw:
        return value
    if raw[:1] in (b"{", b"["):  # a JSON payload (DSSE): mutate it as JSON
        inner = _json(raw, rng) or _bytes(raw, rng, [])
    elif raw[:1] == b"\x30":  # DER: keep its structure
        inner = _der(raw, rng) or _bytes(raw, rng, [])
    else:
        inner = _bytes(raw, rng, [])
    return base64.b64encode(inner).decode()


def _paths(value: Any, path: tuple[Any, ...]) -> Any:
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*path, index))


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step]
    return value


def _set(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    _get(document, path[:-1])[path[-1]] = value
    return document


# -- DER: change one element, keeping every enclosing length right --------------------------------


def _der(data: bytes, rng: random.Random) -> bytes | None:
    parsed = _tlv(data, 0, 0)
    if parsed is None:
        return None
    node, end = parsed
    nodes = list(_walk(node))
    target = rng.choice(nodes)
    action = rng.randrange(4)
    if action == 0 and target[2] is not None:  # a primitive's contents
        target[2] = _bytes(target[2], rng, [])
    elif action == 1:
        target[0] = rng.choice((0x02, 0x03, 0x04, 0x05, 0x06, 0x0C, 0x13, 0x17, 0x30, 0x31, 0xA0))
    elif action == 2 and target[3]:  # drop or repeat a child
        children = target[3]
        index = rng.randrange(len(children))
        if rng.random() < 0.5:
            del children[index]
        else:
            children.insert(index, children[index])
    else:
        target[2] = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 5)))
        target[3] = None
    return _encode(node) + data[end:]


_Node = list[Any]  # [tag, header-less contents or None, primitive contents or None, children]


def _tlv(data: bytes, at: int, depth: int) -> tuple[_Node, int] | None:
    if at + 2 > len(data) or depth > 40:
        return None
    tag, first = data[at], data[at + 1]
    at += 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or at + count > len(data):
            return None
        length = int.from_bytes(data[at : at + count], "big")
        at += count
    end = at + length
    if end > len(data):
        return None
    if tag & 0x20:  # constructed: parse the children
        children: list[_Node] = []
        inner = at
        while inner < end:
            child = _tlv(data[:end], inner, depth + 1)
            if child is None:
                return [tag, None, data[at:end], None], end
            children.append(child[0])
            inner = child[1]
        return [tag, None, None, children], end
    return [tag, None, data[at:end], None], end


def _walk(node: _Node) -> Any:
    yield node
    for child in node[3] or ():
        yield from _walk(child)


def _encode(node: _Node) -> bytes:
    tag, _, contents, children = node
    body = b"".join(_encode(child) for child in children) if children is not None else contents
    assert body is not None
    size = len(body)
    if size < 0x80:
        header = bytes([tag, size])
    else:
        length = size.to_bytes((size.bit_length() + 7) // 8, "big")
        header = bytes([tag, 0x80 | len(length)]) + length
    return header + body


# -- text: lines -----------------------------------------------------------------------------------


def _text(data: bytes, rng: random.Random) -> bytes | None:
    lines = data.split(b"\n")
    index = rng.randrange(len(lines))
    action = rng.randrange(4)
    if action == 0:
        del lines[index]
    elif action == 1:
        lines.insert(index, lines[rng.randrange(len(lines))])
    elif action == 2:
        line = lines[index]
        at = rng.randrange(len(line) + 1)
        noise = rng.choice(_TEXT_NOISE).encode("utf-8", "surrogatepass")
        lines[index] = line[:at] + noise + line[at:]
    else:
        lines[index] = lines[index] * rng.randrange(2, 4)
    return b"\n".join(lines)


_STRUCTURED: dict[str, Callable[[bytes, random.Random], bytes | None]] = {
    "json": _json,
    "der": _der,
    "text": _text,
}
