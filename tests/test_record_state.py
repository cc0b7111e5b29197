"""The state directory: where it is, its layout and modes, and what happens when it is unusable."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import platformdirs
import pytest

from provenance.errors import UsageError
from provenance.record import STATE_DIR_ENV, StateDir, StateError, resolve_state_dir


def test_explicit_state_dir_wins_over_the_environment(tmp_path: Path) -> None:
    environ = {STATE_DIR_ENV: str(tmp_path / "from-env")}
    assert resolve_state_dir(tmp_path / "explicit", environ) == tmp_path / "explicit"


def test_environment_wins_over_the_platform_default(tmp_path: Path) -> None:
    environ = {STATE_DIR_ENV: str(tmp_path / "from-env")}
    assert resolve_state_dir(None, environ) == tmp_path / "from-env"


def test_platform_user_data_dir_is_the_default() -> None:
    expected = Path(platformdirs.user_data_dir("ot-provenance", appauthor=False))
    assert resolve_state_dir(None, {}) == expected
    assert resolve_state_dir(None, {STATE_DIR_ENV: ""}) == expected


def test_real_environment_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(STATE_DIR_ENV, str(tmp_path / "env-state"))
    assert resolve_state_dir(None) == tmp_path / "env-state"


def test_create_makes_the_layout_owner_only(tmp_path: Path) -> None:
    state = StateDir.open(tmp_path / "nested" / "state", create=True)
    assert state.writable
    for directory in (state.root, state.store_dir, state.vsa_dir, state.tmp_dir):
        assert directory.is_dir()
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700, directory
    assert state.ledger_path == state.root / "ledger.sqlite3"
    assert list(state.tmp_dir.iterdir()) == [], "the writability probe must be removed"


def test_opening_again_is_idempotent(tmp_path: Path) -> None:
    first = StateDir.open(tmp_path / "state", create=True)
    (first.store_dir / "keep").write_text("kept")
    second = StateDir.open(tmp_path / "state", create=True)
    assert second == first
    assert (second.store_dir / "keep").read_text() == "kept"


def test_missing_state_dir_without_create_is_an_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(StateError) as raised:
        StateDir.open(missing, create=False)
    message = str(raised.value)
    assert f"state directory {missing}: does not exist" in message
    assert "--state-dir" in message
    assert not missing.exists(), "a read-only open must not create anything"
    assert isinstance(raised.value, UsageError)


def test_existing_state_dir_opens_read_only_without_writing(tmp_path: Path) -> None:
    StateDir.open(tmp_path / "state", create=True)
    before = sorted(p.name for p in (tmp_path / "state").iterdir())
    state = StateDir.open(tmp_path / "state", create=False)
    assert not state.writable
    assert sorted(p.name for p in state.root.iterdir()) == before


@pytest.mark.parametrize("create", [True, False])
def test_a_file_where_the_state_dir_should_be_is_refused(tmp_path: Path, create: bool) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("not a directory")
    with pytest.raises(StateError) as raised:
        StateDir.open(blocker, create=create)
    assert str(raised.value) == (
        f"state directory {blocker}: not a directory; expected a directory"
    )


def test_state_dir_under_a_regular_file_cannot_be_created(tmp_path: Path) -> None:
    # Works as root too (permission bits do not stop root; a file as parent does).
    parent = tmp_path / "a-file"
    parent.write_text("x")
    with pytest.raises(StateError) as raised:
        StateDir.open(parent / "state", create=True)
    message = str(raised.value)
    assert message.startswith(f"state directory {parent / 'state'}: cannot create")
    assert "Not a directory" in message
    assert "expected a writable directory" in message


def test_a_file_in_place_of_a_subdirectory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "store").write_text("not a directory")
    with pytest.raises(StateError) as raised:
        StateDir.open(tmp_path / "state", create=True)
    assert f"cannot create {tmp_path / 'state' / 'store'}" in str(raised.value)


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="running as root: permission bits do not stop root from writing; "
    "test_state_dir_under_a_regular_file_cannot_be_created covers the unwritable case",
)
def test_read_only_state_dir_is_refused_for_writing(tmp_path: Path) -> None:
    state = StateDir.open(tmp_path / "state", create=True)
    state.tmp_dir.chmod(0o500)
    try:
        with pytest.raises(StateError) as raised:
            StateDir.open(tmp_path / "state", create=True)
    finally:
        state.tmp_dir.chmod(0o700)
    assert f"state directory {state.root}: not writable" in str(raised.value)


def test_ledger_paths_must_stay_inside_the_state_dir(tmp_path: Path) -> None:
    state = StateDir.open(tmp_path / "state", create=True)
    assert state.resolve("store/sha256/ab/abc") == state.root / "store" / "sha256" / "ab" / "abc"
    for bad in ("/etc/passwd", "../outside", "store/../../outside", ""):
        with pytest.raises(StateError) as raised:
            state.resolve(bad)
        assert f"ledger names the path {bad!r}" in str(raised.value)
