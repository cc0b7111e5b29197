"""Mutated bundles never crash the verifier and never verify, except where a field is not
covered by any signature (a key hint, which verification ignores by design) or is an RFC 3161
timestamp that is set aside while the log's signed time still holds.

Deterministic: a fixed seed per bundle, a few hundred mutations each, so a failure replays.
"""

from __future__ import annotations

import base64
import copy
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import provenance
from provenance.errors import ProvenanceError
from tests.conftest import CORPORA

DELIVERY = Path(__file__).parents[1] / "fixtures/acme-delivery"
MUTATIONS_PER_BUNDLE = 400
ANY_SIGNER = provenance.NamedSigner(
    provenance.SigstoreIdentity(
        identity=provenance.Pattern.regex(".*"), issuer=provenance.Pattern.regex(".*")
    )
)
KEY_SIGNER = provenance.NamedSigner(
    provenance.load_public_key(DELIVERY / "keys/acme-release-2026.pub")
)
# Fields no signature covers, by design: a key hint only names a key (the caller's keys are what
# count), and a DSSE keyid is likewise an unsigned hint.
UNAUTHENTICATED = {
    ("verificationMaterial", "publicKey", "hint"),
    ("dsseEnvelope", "signatures", 0, "keyid"),
}
TIMESTAMPS = ("verificationMaterial", "timestampVerificationData", "rfc3161Timestamps")
Path_ = tuple[str | int, ...]


def leaves(node: Any, path: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from leaves(value, (*path, index))
    else:
        yield path, node


def replace(document: Any, path: Path_, value: Any) -> None:
    for part in path[:-1]:
        document = document[part]
    document[path[-1]] = value


def mutate_base64(text: str, rng: random.Random) -> str:
    try:
        raw = bytearray(base64.b64decode(text, validate=True))
    except ValueError:  # binascii.Error, or non-ASCII text
        return text + "A"
    if not raw:
        return "AA=="
    where = rng.randrange(len(raw))
    operation = rng.randrange(4)
    if operation == 0:
        raw[where] ^= 1 << rng.randrange(8)
    elif operation == 1:
        del raw[where:]
    elif operation == 2:
        raw[where] = (raw[where] + rng.randrange(1, 256)) % 256
    else:
        raw.insert(where, rng.randrange(256))
    return base64.b64encode(bytes(raw)).decode()


def mutate(value: Any, rng: random.Random) -> Any:
    if isinstance(value, str) and len(value) > 20:
        return mutate_base64(value, rng)
    if isinstance(value, str):
        return rng.choice([value + "1", "", value[:-1], "-1", "18446744073709551616", "0"])
    if isinstance(value, bool):
        return not value
    return rng.choice([None, -1, 2**64, 1.5, "x"])


def cases() -> list[tuple[str, Path, Path, list[str], provenance.NamedSigner]]:
    found = [
        (
            "keyless message signature",
            DELIVERY / "plc-firmware-4.2.1.bin",
            DELIVERY / "plc-firmware-4.2.1.bin.sigstore.json",
            [str(DELIVERY / "trusted_root.json")],
            ANY_SIGNER,
        ),
        (
            "keyless DSSE attestation",
            DELIVERY / "plc-firmware-4.2.1.bin",
            DELIVERY / "plc-firmware-4.2.1.bin.provenance.sigstore.json",
            [str(DELIVERY / "trusted_root.json")],
            ANY_SIGNER,
        ),
        (
            "managed key",
            DELIVERY / "hmi-setup-2.0.exe",
            DELIVERY / "hmi-setup-2.0.exe.sigstore.json",
            [str(DELIVERY / "trusted_root.json")],
            KEY_SIGNER,
        ),
    ]
    conformance = CORPORA / "sigstore-conformance/test/assets/bundle-verify"
    for name in ("rekor2-happy-path", "rekor2-dsse-happy-path", "intoto-with-custom-trust-root"):
        folder = conformance / name
        if folder.is_dir():
            artifact = folder / "artifact"
            found.append(
                (
                    f"conformance {name} (RFC 3161, Rekor v2, intoto)",
                    artifact if artifact.exists() else conformance / "a.txt",
                    folder / "bundle.sigstore.json",
                    [str(folder / "trusted_root.json")],
                    ANY_SIGNER,
                )
            )
    return found


@pytest.mark.parametrize(
    ("artifact", "bundle", "roots", "signer"),
    [pytest.param(*case[1:], id=case[0]) for case in cases()],
)
def test_mutations_fail_cleanly(
    tmp_path: Path,
    artifact: Path,
    bundle: Path,
    roots: list[str],
    signer: provenance.NamedSigner,
) -> None:
    original = json.loads(bundle.read_text())
    trust = [provenance.load_trust_root(root) for root in roots]
    baseline = provenance.verify(str(artifact), signers=[signer], bundle=bundle, trust_roots=trust)
    assert baseline.decision == "verified", baseline.reason
    rng = random.Random(f"robustness {bundle.name}")
    fields = list(leaves(original))
    target = tmp_path / "mutated.sigstore.json"
    for _ in range(MUTATIONS_PER_BUNDLE):
        document = copy.deepcopy(original)
        path, value = rng.choice(fields)
        changed = mutate(value, rng)
        replace(document, path, changed)
        target.write_text(json.dumps(document))
        try:
            result = provenance.verify(
                str(artifact), signers=[signer], bundle=target, trust_roots=trust
            )
        except ProvenanceError:
            continue  # a usage error is a clean refusal too
        if result.decision == "verified":
            same = isinstance(value, str) and _decoded(value) == _decoded(str(changed))
            if path[:3] == TIMESTAMPS and not same:
                # An untrusted timestamp is set aside, visibly; the log's time still holds.
                assert result.fact is not None
                assert result.fact.integrated_time is not None
                time_check = next(c for c in result.outcomes[-1].checks if c.name == "time")
                assert "ignored: RFC 3161 timestamp #1" in time_check.detail
                continue
            assert path in UNAUTHENTICATED or same, f"{path}: {value!r} -> {changed!r} verified"
        else:
            assert result.reason, path


def _decoded(text: str) -> bytes | str:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:  # binascii.Error, or non-ASCII text
        return text
