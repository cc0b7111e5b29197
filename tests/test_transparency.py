"""The shared Merkle tree, checkpoints and signed notes, against independent references.

- Roots, inclusion and consistency proofs: the RFC 6962 test vectors (as published with the
  Certificate Transparency reference implementation and transparency-dev/merkle), and a
  second, recursive implementation (`tests/merkle_reference.py`) on every tree shape.
- Signed notes: key hints recomputed here from the C2SP formulas; signatures checked with the
  plain `cryptography` API, not the module's own verifier.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from provenance.errors import EvidenceError, VerificationFailure
from provenance.transparency.checkpoint import checkpoint_body, parse_checkpoint
from provenance.transparency.inclusion import LogInclusion
from provenance.transparency.merkle import (
    EMPTY_ROOT,
    CompactRange,
    MerkleProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_position,
    range_root,
    root_from_inclusion_proof,
    stored_node_count,
    verify_consistency,
)
from provenance.transparency.note_keys import note_key_hint, sign_note, verify_note
from tests import merkle_reference as reference
from tests.record_helpers.support import public_signer, signing_key

# RFC 6962 test data: eight leaves and the roots of their first 1..8.
VECTOR_LEAVES = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
)]  # fmt: skip
VECTOR_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# (leaf index, tree size, audit path)
VECTOR_INCLUSION = [
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip
# (old size, new size, consistency proof)
VECTOR_CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip
SHAPES = list(range(1, 34))


def stored(leaves: list[bytes]) -> tuple[Callable[[int, int], bytes], CompactRange, list[int]]:
    """Append `leaves` as the audit log does: the node lookup, the range, the positions."""
    nodes: dict[tuple[int, int], bytes] = {}
    compact = CompactRange()
    positions = []
    for data in leaves:
        for level, index, value in compact.append(leaf_hash(data)):
            nodes[level, index] = value
            positions.append(node_position(level, index))
    return (lambda level, index: nodes[level, index]), compact, positions


def test_roots_match_the_rfc_6962_vectors() -> None:
    assert reference.mth([]) == EMPTY_ROOT
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    for size in range(1, 9):
        lookup, compact, _ = stored(VECTOR_LEAVES[:size])
        assert compact.root().hex() == VECTOR_ROOTS[size - 1]
        assert range_root(lookup, 0, size).hex() == VECTOR_ROOTS[size - 1]
        assert reference.mth(VECTOR_LEAVES[:size]).hex() == VECTOR_ROOTS[size - 1]


@pytest.mark.parametrize(("index", "size", "expected"), VECTOR_INCLUSION)
def test_inclusion_proofs_match_the_rfc_6962_vectors(
    index: int, size: int, expected: list[str]
) -> None:
    lookup, _, _ = stored(VECTOR_LEAVES[:size])
    made = inclusion_proof(lookup, index, size)
    assert [node.hex() for node in made] == expected
    root = root_from_inclusion_proof(index, size, leaf_hash(VECTOR_LEAVES[index]), made)
    assert root.hex() == VECTOR_ROOTS[size - 1]


@pytest.mark.parametrize(("old", "new", "expected"), VECTOR_CONSISTENCY)
def test_consistency_proofs_match_the_rfc_6962_vectors(
    old: int, new: int, expected: list[str]
) -> None:
    lookup, _, _ = stored(VECTOR_LEAVES[:new])
    made = consistency_proof(lookup, old, new)
    assert [node.hex() for node in made] == expected
    old_root, new_root = (bytes.fromhex(VECTOR_ROOTS[size - 1]) for size in (old, new))
    verify_consistency(old, new, old_root, new_root, made)


def test_nodes_are_stored_in_post_order_at_their_computed_positions() -> None:
    for size in SHAPES:
        _, _, positions = stored([bytes([i]) for i in range(size)])
        assert positions == list(range(stored_node_count(size)))


@pytest.mark.parametrize("size", SHAPES)
def test_every_root_and_inclusion_proof_agrees_with_the_reference(size: int) -> None:
    leaves = [f"record {i}".encode() for i in range(size)]
    lookup, compact, _ = stored(leaves)
    root = reference.mth(leaves)
    assert compact.root() == root
    assert CompactRange.from_nodes(lookup, size).root() == root
    for index in range(size):
        made = inclusion_proof(lookup, index, size)
        assert made == reference.path(index, leaves)
        assert root_from_inclusion_proof(index, size, leaf_hash(leaves[index]), made) == root
        # Another leaf's data, at the same place, does not lead to the root.
        other = leaf_hash(b"not in the log")
        assert root_from_inclusion_proof(index, size, other, made) != root


@pytest.mark.parametrize("new", SHAPES)
def test_every_consistency_proof_agrees_with_the_reference(new: int) -> None:
    leaves = [f"record {i}".encode() for i in range(new)]
    lookup, _, _ = stored(leaves)
    new_root = reference.mth(leaves)
    for old in range(new + 1):
        made = consistency_proof(lookup, old, new)
        assert made == (reference.proof(old, leaves) if old else [])
        old_root = reference.mth(leaves[:old])
        verify_consistency(old, new, old_root, new_root, made)
        if 0 < old < new:
            # A rewritten history: the same sizes, one earlier leaf changed.
            rewritten = list(leaves)
            rewritten[old - 1] = b"rewritten"
            with pytest.raises(MerkleProofError, match="does not lead to the"):
                verify_consistency(old, new, reference.mth(rewritten[:old]), new_root, made)


def test_consistency_detects_truncation_and_forged_proofs() -> None:
    leaves = [bytes([i]) for i in range(13)]
    lookup, _, _ = stored(leaves)
    roots = {n: reference.mth(leaves[:n]) for n in range(14)}
    with pytest.raises(MerkleProofError, match="cannot extend one of 13"):
        verify_consistency(13, 9, roots[13], roots[9], [])
    made = consistency_proof(lookup, 5, 13)
    for broken in (made[:-1], [*made, made[0]], [made[0][:31], *made[1:]], []):
        with pytest.raises(MerkleProofError):
            verify_consistency(5, 13, roots[5], roots[13], broken)
    with pytest.raises(MerkleProofError, match="two different roots for the same tree size 7"):
        verify_consistency(7, 7, roots[7], roots[8], [])


def test_inclusion_outside_the_tree_and_unaligned_ranges_are_refused() -> None:
    lookup, _, _ = stored([b"a", b"b", b"c"])
    with pytest.raises(MerkleProofError, match="leaf 3 is outside tree size 3"):
        inclusion_proof(lookup, 3, 3)
    with pytest.raises(ValueError, match="do not start on a subtree boundary"):
        range_root(lookup, 1, 3)


# -- checkpoints and signed notes --------------------------------------------------------


def _hint_by_formula(public: object, name: str) -> bytes:
    if isinstance(public, ed25519.Ed25519PublicKey):
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return hashlib.sha256(name.encode() + b"\x0a\x01" + raw).digest()[:4]
    assert isinstance(public, ec.EllipticCurvePublicKey)
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).digest()[:4]


@pytest.mark.parametrize("kind", ["ed25519", "p256"])
def test_a_signed_checkpoint_has_the_c2sp_form_and_verifies(kind: str) -> None:
    key = signing_key(kind)
    origin = "ot-provenance/audit/0123456789abcdef"
    root = reference.mth([b"one", b"two", b"three"])
    note = sign_note(checkpoint_body(origin, 3, root), origin, key)
    body, signature_block = note.split("\n\n")
    assert body == f"{origin}\n3\n{base64.b64encode(root).decode()}"
    name, encoded = signature_block.removeprefix("\u2014 ").removesuffix("\n").split(" ")
    assert name == origin
    raw = base64.b64decode(encoded)
    assert raw[:4] == _hint_by_formula(key.public, origin) == note_key_hint(key.public, origin)
    signed = (body + "\n").encode()
    if kind == "ed25519":
        assert isinstance(key.public, ed25519.Ed25519PublicKey)
        key.public.verify(raw[4:], signed)  # raises if it does not verify
    else:
        assert isinstance(key.public, ec.EllipticCurvePublicKey)
        key.public.verify(raw[4:], signed, ec.ECDSA(hashes.SHA256()))
    parsed = parse_checkpoint(note)
    assert (parsed.origin, parsed.size, parsed.root_hash, parsed.note) == (origin, 3, root, note)
    assert verify_note(parsed, [public_signer(key)]).key_id == key.key_id


def test_a_checkpoint_signed_by_another_key_or_altered_is_refused() -> None:
    key, other = signing_key(), signing_key(seed=b"another site")
    origin = "ot-provenance/audit/site"
    note = sign_note(checkpoint_body(origin, 1, leaf_hash(b"x")), origin, key)
    with pytest.raises(VerificationFailure, match="expected a signature by the site key"):
        verify_note(parse_checkpoint(note), [public_signer(other)])
    # The same signature under an edited size: the known key's signature fails, so the note
    # is refused, not skipped.
    altered = note.replace(f"{origin}\n1\n", f"{origin}\n2\n")
    with pytest.raises(VerificationFailure, match="does not verify"):
        verify_note(parse_checkpoint(altered), [public_signer(key)])
    # Another log's name with the same key: not this log's signature.
    renamed = note.replace(origin, "ot-provenance/audit/elsewhere")
    with pytest.raises(VerificationFailure, match="expected a signature by the site key"):
        verify_note(parse_checkpoint(renamed), [public_signer(key)])


def test_checkpoint_text_with_control_characters_is_refused() -> None:
    origin = "ot-provenance/audit/site"
    note = sign_note(checkpoint_body(origin, 1, leaf_hash(b"x")), origin, signing_key())
    with pytest.raises(EvidenceError, match="control character"):
        parse_checkpoint(note.replace("\n1\n", "\n1\r\n", 1))
    with pytest.raises(ValueError, match="origin"):
        checkpoint_body("has space", 1, leaf_hash(b"x"))


def test_log_inclusion_round_trips_verifies_and_refuses_edits() -> None:
    key = signing_key()
    leaves = [hashlib.sha256(bytes([i])).digest() for i in range(6)]
    lookup, compact, _ = stored(leaves)
    origin = "ot-provenance/audit/site"
    note = sign_note(checkpoint_body(origin, 6, compact.root()), origin, key)
    inclusion = LogInclusion(4, leaves[4], note, tuple(inclusion_proof(lookup, 4, 6)))
    parsed = LogInclusion.from_json(inclusion.to_json(), "vsa.json")
    assert parsed == inclusion
    assert parsed.verify([public_signer(key)], "vsa.json").size == 6
    for edited in (
        LogInclusion(5, leaves[4], note, inclusion.proof),
        LogInclusion(4, leaves[3], note, inclusion.proof),
    ):
        with pytest.raises(VerificationFailure, match="does not lead to the root"):
            edited.verify([public_signer(key)], "vsa.json")
    document = inclusion.to_json()
    for field, value in itertools.product(("leafIndex", "recordHash"), (True, -1, "AB" * 32)):
        with pytest.raises(EvidenceError, match=f"vsa.json: auditLog.{field}"):
            LogInclusion.from_json({**document, field: value}, "vsa.json")
    with pytest.raises(EvidenceError, match="exactly checkpoint, inclusionProof"):
        LogInclusion.from_json({**document, "extra": 1}, "vsa.json")
