"""The few DER encodings the test instance needs that `cryptography` has no builder for.

Test-only: used to mint evidence for hermetic tests, never by verification.
"""

from __future__ import annotations

__all__ = ["octet_string", "utf8_string"]

_OCTET_STRING = 0x04
_UTF8_STRING = 0x0C


def _length(n: int) -> bytes:
    # Short form below 128, else 0x80|count followed by the big-endian length (X.690 8.1.3).
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def octet_string(content: bytes) -> bytes:
    return bytes([_OCTET_STRING]) + _length(len(content)) + content


def utf8_string(text: str) -> bytes:
    content = text.encode()
    return bytes([_UTF8_STRING]) + _length(len(content)) + content
