"""The approved store: one-pass copy and hash, the staged copy is what counts, constant memory."""

from __future__ import annotations

import hashlib
import os
import stat
import time
import tracemalloc
from pathlib import Path

import pytest

from provenance.errors import InputError
from provenance.record import ContentStore, StateDir, StateError
from provenance.record.store import COPY_CHUNK_BYTES


@pytest.fixture
def state(tmp_path: Path) -> StateDir:
    return StateDir.open(tmp_path / "state", create=True)


@pytest.fixture
def store(state: StateDir) -> ContentStore:
    return ContentStore(state)


def test_staged_digest_is_the_sha256_of_the_source(tmp_path: Path, store: ContentStore) -> None:
    source = tmp_path / "firmware.bin"
    data = os.urandom(3 * COPY_CHUNK_BYTES + 12345)  # several chunks and a partial one
    source.write_bytes(data)
    staged = store.stage_copy(source)
    assert staged.sha256 == hashlib.sha256(data).digest()
    assert staged.size == len(data)
    assert staged.path.parent == store.state.tmp_dir
    assert staged.path.read_bytes() == data
    assert stat.S_IMODE(staged.path.stat().st_mode) == 0o400, "sealed once written"


def test_commit_moves_the_copy_to_its_content_address(tmp_path: Path, store: ContentStore) -> None:
    source = tmp_path / "firmware.bin"
    source.write_bytes(b"firmware 1.0")
    staged = store.stage_copy(source)
    digest = hashlib.sha256(b"firmware 1.0").hexdigest()
    path = store.commit(staged)
    assert path == store.state.store_dir / "sha256" / digest[:2] / digest
    assert path == store.path_for(digest)
    assert path.read_bytes() == b"firmware 1.0"
    assert list(store.state.tmp_dir.iterdir()) == []
    assert stat.S_IMODE(path.stat().st_mode) == 0o400


def test_empty_file_is_stored_too(tmp_path: Path, store: ContentStore) -> None:
    source = tmp_path / "empty"
    source.write_bytes(b"")
    staged = store.stage_copy(source)
    assert (staged.sha256_hex, staged.size) == (hashlib.sha256(b"").hexdigest(), 0)
    assert store.commit(staged).read_bytes() == b""


def test_artifact_changed_after_staging_does_not_change_what_is_committed(
    tmp_path: Path, store: ContentStore
) -> None:
    source = tmp_path / "firmware.bin"
    verified = b"the bytes that were verified" * 1000
    source.write_bytes(verified)
    staged = store.stage_copy(source)
    # The attacker swaps the file after the gate hashed it (rewritten in place, then replaced).
    source.write_bytes(b"MALICIOUS" * 3000)
    replacement = tmp_path / "swap.bin"
    replacement.write_bytes(b"OTHER MALICIOUS")
    os.replace(replacement, source)
    path = store.commit(staged)
    assert path.read_bytes() == verified
    assert path.name == hashlib.sha256(verified).hexdigest() == staged.sha256_hex


def test_committing_the_same_content_twice_is_idempotent(
    tmp_path: Path, store: ContentStore
) -> None:
    source = tmp_path / "firmware.bin"
    source.write_bytes(b"same content")
    first = store.commit(store.stage_copy(source))
    second = store.commit(store.stage_copy(source))
    assert first == second
    assert first.read_bytes() == b"same content"
    assert list(store.state.tmp_dir.iterdir()) == []
    assert [p.name for p in first.parent.iterdir()] == [first.name]


def test_commit_replaces_a_store_file_damaged_on_disk(tmp_path: Path, store: ContentStore) -> None:
    source = tmp_path / "firmware.bin"
    source.write_bytes(b"good")
    path = store.commit(store.stage_copy(source))
    path.chmod(0o600)
    path.write_bytes(b"bit rot")
    assert store.commit(store.stage_copy(source)).read_bytes() == b"good"


def test_discard_removes_the_staged_copy(tmp_path: Path, store: ContentStore) -> None:
    source = tmp_path / "firmware.bin"
    source.write_bytes(b"denied")
    staged = store.stage_copy(source)
    store.discard(staged)
    assert not staged.path.exists()
    store.discard(staged)  # already gone: no error


def test_large_sparse_file_is_copied_in_constant_memory(
    tmp_path: Path, store: ContentStore
) -> None:
    size = 64 * 1024 * 1024
    source = tmp_path / "disk-image.img"
    with source.open("wb") as handle:
        handle.truncate(size)  # sparse: takes no disk space to create
        handle.seek(size // 2)
        handle.write(b"middle")
    expected = hashlib.sha256()
    with source.open("rb") as handle:
        expected = hashlib.file_digest(handle, "sha256")
    tracemalloc.start()
    try:
        started = time.perf_counter()
        staged = store.stage_copy(source)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert staged.sha256 == expected.digest()
    assert staged.size == size
    # One read buffer of COPY_CHUNK_BYTES, whatever the size: far below the 64 MiB copied.
    assert peak < 2 * COPY_CHUNK_BYTES + 512 * 1024, f"peak Python allocation {peak} bytes"
    assert elapsed < 30, f"copying 64 MiB took {elapsed:.1f} s"
    store.discard(staged)


def test_a_directory_is_not_an_artifact(tmp_path: Path, store: ContentStore) -> None:
    with pytest.raises(InputError) as raised:
        store.stage_copy(tmp_path)
    assert str(raised.value) == (
        f"{tmp_path}: is a directory; expected the artifact to admit as a regular file"
    )
    assert list(store.state.tmp_dir.iterdir()) == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX only")
def test_a_fifo_is_refused_without_blocking(tmp_path: Path, store: ContentStore) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(InputError) as raised:
        store.stage_copy(fifo)  # would hang here if opened without O_NONBLOCK
    assert str(raised.value) == (
        f"{fifo}: is a FIFO (named pipe); expected the artifact to admit as a regular file"
    )


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero on this platform")
def test_a_device_that_streams_forever_is_refused(store: ContentStore) -> None:
    with pytest.raises(InputError) as raised:
        store.stage_copy(Path("/dev/zero"))
    assert str(raised.value) == (
        "/dev/zero: is a character device; expected the artifact to admit as a regular file"
    )


def test_a_missing_source_is_an_input_error(tmp_path: Path, store: ContentStore) -> None:
    with pytest.raises(InputError) as raised:
        store.stage_copy(tmp_path / "absent.bin")
    absent = tmp_path / "absent.bin"
    assert str(raised.value) == (
        f"{absent}: cannot read the artifact to admit: No such file or directory"
    )


def test_a_symlink_to_a_regular_file_is_followed(tmp_path: Path, store: ContentStore) -> None:
    target = tmp_path / "real.bin"
    target.write_bytes(b"real")
    link = tmp_path / "link.bin"
    link.symlink_to(target)
    assert store.stage_copy(link).sha256 == hashlib.sha256(b"real").digest()


def test_path_for_refuses_anything_but_a_lowercase_hex_digest(store: ContentStore) -> None:
    for bad in ("../../etc/passwd", "AB" * 32, "ab" * 31, ""):
        with pytest.raises(InputError) as raised:
            store.path_for(bad)
        assert str(raised.value) == (
            f"expected a SHA-256 digest as 64 lowercase hexadecimal digits, got {bad!r}"
        )


def test_read_only_state_cannot_stage(tmp_path: Path, state: StateDir) -> None:
    source = tmp_path / "firmware.bin"
    source.write_bytes(b"x")
    read_only = ContentStore(StateDir.open(state.root, create=False))
    with pytest.raises(StateError) as raised:
        read_only.stage_copy(source)
    assert "opened read-only; expected it opened for writing" in str(raised.value)
