"""Merkle inclusion proofs and checkpoints, checked against RFC 6962's recursive definitions."""

from __future__ import annotations

import pytest

from provenance.errors import EvidenceError, VerificationFailure
from provenance.evidence.dsse_envelope import parse_envelope
from provenance.evidence.in_toto import parse_statement
from provenance.verification.sigstore.tlog import (
    leaf_hash,
    parse_checkpoint,
    root_from_inclusion_proof,
)
from tests.merkle_reference import mth, path


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31, 33])
def test_every_leaf_of_every_tree_shape_proves_inclusion(size: int) -> None:
    leaves = [f"entry {i}".encode() for i in range(size)]
    root = mth(leaves)
    for index in range(size):
        proof = path(index, leaves)
        assert root_from_inclusion_proof(index, size, leaf_hash(leaves[index]), proof) == root
        # The same proof at a neighbouring position leads elsewhere or is rejected.
        if size > 1:
            other = (index + 1) % size
            try:
                moved = root_from_inclusion_proof(other, size, leaf_hash(leaves[index]), proof)
            except VerificationFailure:
                continue
            assert moved != root


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda p: p[:-1], "inclusion proof is shorter than the tree"),
        (lambda p: [*p, b"\x00" * 32], "inclusion proof is longer than the tree"),
        (lambda p: [p[0][:31], *p[1:]], "not 32 bytes"),
    ],
)
def test_malformed_proofs_are_rejected(edit: object, message: str) -> None:
    leaves = [bytes([i]) for i in range(11)]
    proof = path(6, leaves)
    with pytest.raises(VerificationFailure, match=message):
        root_from_inclusion_proof(6, 11, leaf_hash(leaves[6]), edit(proof))  # type: ignore[operator]


def test_index_outside_the_tree() -> None:
    with pytest.raises(VerificationFailure, match="index 5 is outside tree size 5"):
        root_from_inclusion_proof(5, 5, b"\x00" * 32, [])


SIGNED = (
    "log.test.invalid\n12\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\nTimestamp: 1\n\n"
    "\u2014 witness.invalid AQIDBAUGBwg=\n\u2014 log.test.invalid CQoLDA0ODxA=\n"
)


def test_checkpoint_with_extension_lines_and_cosignatures() -> None:
    checkpoint = parse_checkpoint(SIGNED)
    assert checkpoint.origin == "log.test.invalid"
    assert checkpoint.size == 12
    assert checkpoint.root_hash == b"\x00" * 32
    assert checkpoint.body.endswith(b"Timestamp: 1\n")
    assert [(name, hint.hex()) for name, hint, _ in checkpoint.signatures] == [
        ("witness.invalid", "01020304"),
        ("log.test.invalid", "090a0b0c"),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (SIGNED.replace("\n12\n", "\n012\n"), "tree size '012' is not a number"),
        (SIGNED.replace("\n12\n", "\n-1\n"), "is not a number"),
        (SIGNED.replace("\n12\n", "\n\u00b2\n"), "is not a number"),
        (SIGNED.replace("\n12\n", "\n\u0667\n"), "is not a number"),
        (SIGNED.replace("\n12\n", "\n" + "9" * 5000 + "\n"), "is not a number"),
        (SIGNED.replace("\n\n", "\n"), "not a signed note"),
        (SIGNED[:-1], "not a signed note"),
        (SIGNED.replace("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "AAAA"), "not 32 bytes"),
        (
            SIGNED.replace("\u2014 witness.invalid", "- witness.invalid"),
            "signature line is malformed",
        ),
        (SIGNED.split("\n\n", maxsplit=1)[0] + "\n\n", "carries no signature"),
    ],
)
def test_malformed_checkpoints(text: str, message: str) -> None:
    with pytest.raises(VerificationFailure, match=message):
        parse_checkpoint(text)


def test_deeply_nested_json_is_malformed_evidence_not_a_crash() -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(EvidenceError, match="nested too deeply"):
        parse_statement(deep)
    with pytest.raises(EvidenceError, match="nested too deeply"):
        parse_envelope(deep, "deep.json")
