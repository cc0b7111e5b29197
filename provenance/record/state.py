"""The state directory: where the gate keeps its ledger, approved store and VSAs.

Layout (every directory mode 0700, owner only)::

    <state>/ledger.sqlite3     admissions and the audit log (its records, Merkle tree and
                               signed checkpoints), one SQLite database
    <state>/store/sha256/ab/abcd...   approved artifacts, by SHA-256 (content-addressed)
    <state>/vsa/sha256/12/1234...     the site's signed VSAs, by SHA-256 of the envelope
    <state>/tmp/               staging; on the same file system as store/ so rename is atomic

Which directory: `--state-dir`, else `$PROVENANCE_STATE_DIR`, else the platform's user data
directory for "ot-provenance" (`~/.local/share/ot-provenance` on Linux).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import platformdirs

from provenance.record._fs import create_exclusive, ensure_directory, unique_name
from provenance.record.errors import StateError

__all__ = [
    "APP_NAME",
    "STATE_DIR_ENV",
    "StateDir",
    "resolve_state_dir",
]

APP_NAME = "ot-provenance"
STATE_DIR_ENV = "PROVENANCE_STATE_DIR"
STATE_DIR_MODE = 0o700
LEDGER_FILE = "ledger.sqlite3"
STORE_DIR = "store"
VSA_DIR = "vsa"
TMP_DIR = "tmp"

_HINT = f"choose another with --state-dir or ${STATE_DIR_ENV}"


def resolve_state_dir(explicit: Path | None, environ: Mapping[str, str] | None = None) -> Path:
    """The state directory to use: the explicit one, else the environment's, else the default."""
    if explicit is not None:
        return explicit.expanduser()
    environment = os.environ if environ is None else environ
    configured = environment.get(STATE_DIR_ENV, "")
    if configured:
        return Path(configured).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


@dataclass(frozen=True)
class StateDir:
    """An opened state directory. `writable` is False when opened with `create=False`."""

    root: Path
    writable: bool

    @property
    def ledger_path(self) -> Path:
        return self.root / LEDGER_FILE

    @property
    def store_dir(self) -> Path:
        return self.root / STORE_DIR

    @property
    def vsa_dir(self) -> Path:
        return self.root / VSA_DIR

    @property
    def tmp_dir(self) -> Path:
        return self.root / TMP_DIR

    @classmethod
    def open(cls, path: Path, *, create: bool) -> StateDir:
        """Open the state directory at `path`.

        `create=True` (commands that admit): create what is missing, mode 0700, and prove the
        directory is writable by creating and removing a file in `tmp/`. `create=False`
        (commands that only read, such as `check`): the directory must exist; nothing is
        written.
        """
        root = path.expanduser().absolute()
        if root.exists() and not root.is_dir():
            raise StateError(f"state directory {root}: not a directory; expected a directory")
        if not create:
            if not root.is_dir():
                raise StateError(
                    f"state directory {root}: does not exist; expected the state directory of "
                    f"an earlier `provenance admit` ({_HINT})"
                )
            return cls(root=root, writable=False)
        state = cls(root=root, writable=True)
        try:
            ensure_directory(root, STATE_DIR_MODE)
            for directory in (state.store_dir, state.vsa_dir, state.tmp_dir):
                ensure_directory(directory, STATE_DIR_MODE)
        except OSError as exc:
            raise StateError(
                f"state directory {root}: cannot create {exc.filename or root}: "
                f"{exc.strerror or exc}; expected a writable directory ({_HINT})"
            ) from exc
        state._prove_writable()
        state._check_same_file_system()
        return state

    def _prove_writable(self) -> None:
        # Permission bits do not answer this (root, ACLs, read-only mounts): try it.
        probe = self.tmp_dir / unique_name("probe-", ".tmp")
        try:
            os.close(create_exclusive(probe))
            probe.unlink()
        except OSError as exc:
            raise StateError(
                f"state directory {self.root}: not writable ({self.tmp_dir}: "
                f"{exc.strerror or exc}); expected a directory this user can write ({_HINT})"
            ) from exc

    def _check_same_file_system(self) -> None:
        store_device = self.store_dir.stat().st_dev
        tmp_device = self.tmp_dir.stat().st_dev
        if store_device != tmp_device:
            raise StateError(
                f"state directory {self.root}: {self.tmp_dir} and {self.store_dir} are on "
                "different file systems; expected one file system (a rename from tmp/ into "
                "store/ must be atomic)"
            )

    def relative(self, path: Path) -> str:
        """`path` relative to the state directory, with `/` separators (stored in the ledger,
        so a state directory can be moved or restored elsewhere)."""
        return path.relative_to(self.root).as_posix()

    def resolve(self, relative: str) -> Path:
        """The file a ledger path names; refuses paths that leave the state directory."""
        pure = PurePosixPath(relative)
        if pure.is_absolute() or ".." in pure.parts or not pure.parts:
            raise StateError(
                f"state directory {self.root}: ledger names the path {relative!r}; expected a "
                "relative path inside the state directory"
            )
        return self.root.joinpath(*pure.parts)
