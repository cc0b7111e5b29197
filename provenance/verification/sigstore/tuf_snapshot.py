"""A Sigstore TUF repository snapshot carried on removable media, verified from the last
trusted root: the client workflow of the TUF specification (section 5), offline.

Library: python-tuf's metadata API (`tuf.api.metadata`), which sigstore already depends on. It
parses the metadata strictly, counts threshold signatures by the delegating role's keys
(`Root.verify_delegate`), and checks lengths, hashes and expiry. The workflow's order and its
rollback, freeze and mix-and-match checks are written down here rather than run through
`tuf.ngclient.Updater`: the Updater fetches through a network fetcher, reads the wall clock
(this gate injects its clock: tests and offline sites choose the verification time) and has no
notion of a bounded staleness for sites that import days after the snapshot was signed.

The directory is laid out as a TUF repository (what `trust fetch --online` writes, and what
sigstore's CDN serves): `N.root.json` for each root version after the trusted one,
`timestamp.json`, `N.snapshot.json` / `N.targets.json` (consistent snapshots; plain names
otherwise) and `targets/<sha256>.trusted_root.json`.

Threats (an attacker who can write the removable media): older but genuine metadata
(rollback), an expired snapshot held back from the site (freeze), a timestamp of one snapshot
with the snapshot or targets of another (mix-and-match), metadata or targets signed by a key
the root does not delegate to, and a `trusted_root.json` other than the one targets names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

from tuf.api.exceptions import RepositoryError
from tuf.api.metadata import Metadata, MetaFile, Root, Signed, Snapshot, Targets, Timestamp
from tuf.api.serialization import DeserializationError

from provenance.errors import InputError, VerificationFailure
from provenance.inputs.files import read_bounded

__all__ = [
    "MAX_METADATA_BYTES",
    "MAX_ROOT_ROTATIONS",
    "MAX_TRUSTED_ROOT_BYTES",
    "TRUSTED_ROOT_TARGET",
    "Baseline",
    "TufRefused",
    "VerifiedSnapshot",
    "verify_tuf_snapshot",
]

# python-tuf's UpdaterConfig defaults: no real root is larger than a few KB, no snapshot or
# targets of Sigstore's repository larger than tens of KB.
MAX_METADATA_BYTES = 2_000_000
MAX_ROOT_ROTATIONS = 256
MAX_TRUSTED_ROOT_BYTES = 4 * 1024 * 1024
TRUSTED_ROOT_TARGET = "trusted_root.json"

_S = TypeVar("_S", Root, Timestamp, Snapshot, Targets)


class TufRefused(VerificationFailure):
    """The snapshot does not verify from the trusted root (exit 1)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, check="tuf")


@dataclass(frozen=True)
class Baseline:
    """What the site trusted before this import: the versions it must not go back on."""

    timestamp: int
    snapshot: int
    snapshot_meta: Mapping[str, int]  # metadata file -> version, as the trusted snapshot says
    timestamp_keys: frozenset[str]  # key IDs the trusted root delegated timestamp to
    snapshot_keys: frozenset[str]


@dataclass(frozen=True)
class VerifiedSnapshot:
    root: Metadata[Root]
    root_bytes: bytes  # the final root as read: the trusted root of the next import
    new_roots: tuple[tuple[str, bytes], ...]  # (file name, bytes) of each root loaded here
    timestamp: Metadata[Timestamp]
    snapshot: Metadata[Snapshot]
    targets: Metadata[Targets]
    # (file name relative to the directory, bytes) of everything verified, to keep it
    files: tuple[tuple[str, bytes], ...]
    trusted_root: bytes
    trusted_root_sha256: str
    stale_by: timedelta | None  # how long past expiry the timestamp/snapshot were; None: fresh
    notes: tuple[str, ...] = field(default=())

    def baseline(self) -> Baseline:
        roles = self.root.signed.roles
        return Baseline(
            timestamp=self.timestamp.signed.version,
            snapshot=self.snapshot.signed.version,
            snapshot_meta={name: meta.version for name, meta in self.snapshot.signed.meta.items()},
            timestamp_keys=frozenset(roles[Timestamp.type].keyids),
            snapshot_keys=frozenset(roles[Snapshot.type].keyids),
        )


def _read(directory: Path, name: str, limit: int, *, required: bool = True) -> bytes | None:
    path = directory / name
    if not path.exists() and not path.is_symlink():
        if required:
            raise TufRefused(f"{directory}: expected {name} in the TUF snapshot, got none")
        return None
    if path.is_symlink() or not path.is_file():
        raise TufRefused(f"{path}: expected a regular file (symlinks are not followed)")
    data = read_bounded(path, limit, "TUF metadata")
    if data is None:
        raise TufRefused(f"{path}: expected at most {limit} bytes, got more")
    return data


def _load(data: bytes, kind: type[_S], name: str) -> Metadata[_S]:
    try:
        metadata = Metadata[_S].from_bytes(data)
    except DeserializationError as exc:
        raise TufRefused(f"{name}: not valid TUF metadata: {exc}") from exc
    if not isinstance(metadata.signed, kind):
        raise TufRefused(f"{name}: expected {kind.type} metadata, got {metadata.signed.type}")
    return metadata


def _delegated(delegator: Root, role: str, metadata: Metadata[_S], name: str) -> None:
    """`metadata` carries the threshold of signatures `delegator` requires for `role`."""
    try:
        delegator.verify_delegate(role, metadata.signed_bytes, metadata.signatures)
    except RepositoryError as exc:
        raise TufRefused(f"{name}: {exc}") from exc


def _fresh(signed: Signed, name: str, now: datetime, allowed: timedelta | None) -> timedelta | None:
    """None if `signed` has not expired at `now`; how long ago it did if within `allowed`."""
    if not signed.is_expired(now):
        return None
    late = now - signed.expires
    if allowed is not None and late <= allowed:
        return late
    stated = f"; the policy allows {allowed.days} days" if allowed is not None else ""
    raise TufRefused(
        f"{name}: expired at {signed.expires.isoformat()}, {late.days} days before "
        f"{now.isoformat()}{stated}; expected metadata that has not expired (a snapshot held "
        "back from the site is a freeze attack): carry in a newer snapshot, or allow a "
        "maximum staleness for this offline site (trust.tuf.max_staleness_days)"
    )


def verify_tuf_snapshot(
    directory: Path,
    *,
    trusted_root: bytes,
    baseline: Baseline | None,
    now: datetime,
    max_staleness: timedelta | None = None,
    check_expiry: bool = True,
) -> VerifiedSnapshot:
    """Verify the snapshot in `directory` from `trusted_root` (the bytes of the last trusted
    `root.json`). Raises `TufRefused` (exit 1) if it does not verify, `InputError` (exit 2) if
    the directory cannot be read. `check_expiry=False` re-verifies a snapshot this gate has
    already imported (its freshness was judged, and recorded, when it was).

    1. The trusted root verifies itself (threshold of its own root keys).
    2. Root rotation (5.3): for each next version N, `N.root.json` must carry the threshold of
       the current root's root keys and of its own, and say version N; at most
       MAX_ROOT_ROTATIONS. Where the timestamp or snapshot keys changed, the baseline's
       versions for that role no longer bind (5.3.11, recovery from a fast-forward attack).
    3. The final root has not expired (no staleness: root keys are rotated for a reason).
    4. Timestamp (5.4): signed by the root's timestamp keys; its version and the snapshot
       version it names are not below the baseline's (rollback); not expired, or expired by
       at most `max_staleness` (freeze).
    5. Snapshot (5.5): the bytes match the timestamp's length and hashes, signed by the
       snapshot keys, the version the timestamp names (mix-and-match); no metadata file the
       baseline's snapshot listed is missing or older (rollback); expiry as the timestamp's.
    6. Targets (5.6): the bytes match the snapshot's entry, signed by the targets keys, the
       version the snapshot names, not expired.
    7. The `trusted_root.json` target: named by the top-level targets (delegations are not
       followed), its bytes match the length and hashes targets states.
    """
    if not directory.is_dir():
        raise InputError(f"{directory}: expected a directory holding a TUF repository snapshot")
    run = _Run(directory, now, max_staleness if check_expiry else None, check_expiry)
    # 1. and 2.
    root, new_roots = run.rotate(trusted_root)
    baseline = _recovered(baseline, root.signed)
    # 3.
    if check_expiry:
        _fresh(root.signed, f"root.json v{root.signed.version}", now, None)
    # 4.-6.
    timestamp, timestamp_bytes = run.timestamp(root.signed, baseline)
    snapshot_name, snapshot, snapshot_bytes = run.snapshot(root.signed, timestamp, baseline)
    targets_name, targets, targets_bytes = run.targets(root.signed, snapshot_name, snapshot)
    # 7.
    target_name, target_bytes, sha256 = run.trusted_root(
        targets_name, targets, bool(root.signed.consistent_snapshot)
    )
    return VerifiedSnapshot(
        root=root,
        root_bytes=new_roots[-1][1] if new_roots else trusted_root,
        new_roots=tuple(new_roots),
        timestamp=timestamp,
        snapshot=snapshot,
        targets=targets,
        files=(
            *new_roots,
            ("timestamp.json", timestamp_bytes),
            (snapshot_name, snapshot_bytes),
            (targets_name, targets_bytes),
            (target_name, target_bytes),
        ),
        trusted_root=target_bytes,
        trusted_root_sha256=sha256,
        stale_by=max(run.stale, default=None),
    )


def _recovered(baseline: Baseline | None, root: Root) -> Baseline | None:
    """5.3.11: where the root rotated the timestamp or snapshot keys, the baseline's versions
    of that role (and those after it) no longer bind: a compromised key may have signed
    versions far ahead (a fast-forward attack) that the new keys must be able to replace."""
    if baseline is None:
        return None
    if frozenset(root.roles[Timestamp.type].keyids) != baseline.timestamp_keys:
        return Baseline(0, 0, {}, frozenset(), frozenset())
    if frozenset(root.roles[Snapshot.type].keyids) != baseline.snapshot_keys:
        return Baseline(baseline.timestamp, 0, {}, baseline.timestamp_keys, frozenset())
    return baseline


@dataclass
class _Run:
    """The steps of `verify_tuf_snapshot` over one directory."""

    directory: Path
    now: datetime
    allowed: timedelta | None  # staleness allowed for timestamp and snapshot
    check_expiry: bool
    stale: list[timedelta] = field(default_factory=list)

    def required(self, name: str, limit: int = MAX_METADATA_BYTES) -> bytes:
        data = _read(self.directory, name, limit)
        assert data is not None  # required=True raises instead
        return data

    def fresh_or_stale(self, signed: Signed, name: str) -> None:
        if self.check_expiry:
            late = _fresh(signed, name, self.now, self.allowed)
            if late is not None:
                self.stale.append(late)

    def rotate(self, trusted: bytes) -> tuple[Metadata[Root], list[tuple[str, bytes]]]:
        root = _load(trusted, Root, "trusted root.json")
        _delegated(root.signed, Root.type, root, "trusted root.json")
        new_roots: list[tuple[str, bytes]] = []
        while True:
            version = root.signed.version + 1
            name = f"{version}.root.json"
            data = _read(self.directory, name, MAX_METADATA_BYTES, required=False)
            if data is None:
                return root, new_roots
            if len(new_roots) == MAX_ROOT_ROTATIONS:
                raise TufRefused(f"{self.directory}: more than {MAX_ROOT_ROTATIONS} root rotations")
            candidate = _load(data, Root, name)
            by = f"{name} (signed by root v{root.signed.version}'s root keys)"
            _delegated(root.signed, Root.type, candidate, by)
            _delegated(candidate.signed, Root.type, candidate, f"{name} (signed by its own keys)")
            if candidate.signed.version != version:
                raise TufRefused(
                    f"{name}: expected root version {version}, got {candidate.signed.version}"
                )
            root = candidate
            new_roots.append((name, data))

    def timestamp(self, root: Root, baseline: Baseline | None) -> tuple[Metadata[Timestamp], bytes]:
        data = self.required("timestamp.json")
        timestamp = _load(data, Timestamp, "timestamp.json")
        _delegated(root, Timestamp.type, timestamp, "timestamp.json")
        named = timestamp.signed.snapshot_meta.version
        if baseline is not None and timestamp.signed.version < baseline.timestamp:
            raise TufRefused(
                f"timestamp.json: version {timestamp.signed.version} is older than the trusted "
                f"version {baseline.timestamp}; expected {baseline.timestamp} or newer (rollback)"
            )
        if baseline is not None and named < baseline.snapshot:
            raise TufRefused(
                f"timestamp.json: names snapshot version {named}, older than the trusted "
                f"version {baseline.snapshot}; expected {baseline.snapshot} or newer (rollback)"
            )
        self.fresh_or_stale(timestamp.signed, "timestamp.json")
        return timestamp, data

    def snapshot(
        self, root: Root, timestamp: Metadata[Timestamp], baseline: Baseline | None
    ) -> tuple[str, Metadata[Snapshot], bytes]:
        named = timestamp.signed.snapshot_meta.version
        name = f"{named}.snapshot.json" if root.consistent_snapshot else "snapshot.json"
        data = self.required(name)
        _matches(timestamp.signed.snapshot_meta, data, name, "timestamp.json")
        snapshot = _load(data, Snapshot, name)
        _delegated(root, Snapshot.type, snapshot, name)
        if snapshot.signed.version != named:
            raise TufRefused(
                f"{name}: version {snapshot.signed.version}, but timestamp.json names version "
                f"{named}; expected one repository state (mix-and-match)"
            )
        for listed, version in (baseline.snapshot_meta if baseline else {}).items():
            now_listed = snapshot.signed.meta.get(listed)
            if now_listed is None or now_listed.version < version:
                got = "nothing" if now_listed is None else f"version {now_listed.version}"
                raise TufRefused(
                    f"{name}: lists {got} for {listed}, the trusted snapshot version "
                    f"{version}; expected {version} or newer (rollback)"
                )
        self.fresh_or_stale(snapshot.signed, name)
        return name, snapshot, data

    def targets(
        self, root: Root, snapshot_name: str, snapshot: Metadata[Snapshot]
    ) -> tuple[str, Metadata[Targets], bytes]:
        meta = snapshot.signed.meta.get("targets.json")
        if meta is None:
            raise TufRefused(f"{snapshot_name}: lists no targets.json; expected the targets role")
        name = f"{meta.version}.targets.json" if root.consistent_snapshot else "targets.json"
        data = self.required(name)
        _matches(meta, data, name, snapshot_name)
        targets = _load(data, Targets, name)
        _delegated(root, Targets.type, targets, name)
        if targets.signed.version != meta.version:
            raise TufRefused(
                f"{name}: version {targets.signed.version}, but {snapshot_name} names version "
                f"{meta.version}; expected one repository state (mix-and-match)"
            )
        if self.check_expiry:
            _fresh(targets.signed, name, self.now, None)
        return name, targets, data

    def trusted_root(
        self, targets_name: str, targets: Metadata[Targets], consistent: bool
    ) -> tuple[str, bytes, str]:
        from provenance.verification.sigstore.trust_root import parse_trust_root  # noqa: PLC0415

        target = targets.signed.targets.get(TRUSTED_ROOT_TARGET)
        if target is None:
            raise TufRefused(f"{targets_name}: names no {TRUSTED_ROOT_TARGET} target")
        sha256 = target.hashes.get("sha256")
        if sha256 is None or target.length > MAX_TRUSTED_ROOT_BYTES:
            raise TufRefused(
                f"{targets_name}: {TRUSTED_ROOT_TARGET}: expected a sha256 and at most "
                f"{MAX_TRUSTED_ROOT_BYTES} bytes, got {sorted(target.hashes)} and "
                f"{target.length} bytes"
            )
        name = _target_file(self.directory, consistent, target.hashes)
        data = self.required(name, MAX_TRUSTED_ROOT_BYTES)
        try:
            target.verify_length_and_hashes(data)
        except RepositoryError as exc:
            raise TufRefused(f"{name}: does not match what {targets_name} states: {exc}") from exc
        parse_trust_root(data, f"{TRUSTED_ROOT_TARGET} (TUF targets v{targets.signed.version})")
        return name, data, sha256


def _matches(meta: MetaFile, data: bytes, name: str, by: str) -> None:
    try:
        meta.verify_length_and_hashes(data)
    except RepositoryError as exc:
        raise TufRefused(f"{name}: does not match what {by} states: {exc}") from exc


def _target_file(directory: Path, consistent: bool, hashes: Mapping[str, str]) -> str:
    if not consistent:
        return f"targets/{TRUSTED_ROOT_TARGET}"
    for digest in hashes.values():
        name = f"targets/{digest}.{TRUSTED_ROOT_TARGET}"
        if (directory / name).exists():
            return name
    first = next(iter(hashes.values()), "?")
    raise TufRefused(f"{directory}: expected targets/{first}.{TRUSTED_ROOT_TARGET}, got none")
