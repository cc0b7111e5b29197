"""A TUF repository built with python-tuf's own metadata API, for `trust import` tests: roles
with threshold keys, root rotation, consistent snapshots and a `trusted_root.json` target."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import (
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer

__all__ = ["TufTestRepository"]

_Online = TypeVar("_Online", Targets, Snapshot, Timestamp)
ROLES = (Root.type, Timestamp.type, Snapshot.type, Targets.type)


def _signers(count: int) -> list[CryptoSigner]:
    return [CryptoSigner.generate_ed25519() for _ in range(count)]


@dataclass
class TufTestRepository:
    """Root v1 with two of three root keys required; one key for each online role."""

    now: datetime
    trusted_root: bytes  # the target's content
    keys: dict[str, list[CryptoSigner]] = field(default_factory=dict)
    roots: list[bytes] = field(default_factory=list)  # root versions 1.. as published
    timestamp_version: int = 0
    snapshot_version: int = 0
    targets_version: int = 0
    root_signers_of_previous: list[CryptoSigner] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.keys = {
            Root.type: _signers(3),
            Timestamp.type: _signers(1),
            Snapshot.type: _signers(1),
            Targets.type: _signers(1),
        }
        self.publish_root(threshold=2)

    def _root(self, version: int, threshold: int) -> Root:
        root = Root(version=version, expires=self.now + timedelta(days=365),
                    consistent_snapshot=True)  # fmt: skip
        for role in ROLES:
            for signer in self.keys[role]:
                root.add_key(signer.public_key, role)
        root.roles[Root.type].threshold = threshold
        return root

    def publish_root(self, *, threshold: int, signed_by_old: int | None = None) -> bytes:
        """The next root version, signed by its own root keys and by `signed_by_old` (default:
        all) of the previous version's."""
        metadata = Metadata(self._root(len(self.roots) + 1, threshold))
        for signer in self.keys[Root.type]:
            metadata.sign(signer, append=True)
        old = self.root_signers_of_previous[:signed_by_old]
        for signer in old:
            if signer not in self.keys[Root.type]:
                metadata.sign(signer, append=True)
        data = metadata.to_bytes(JSONSerializer())
        self.roots.append(data)
        self.root_signers_of_previous = list(self.keys[Root.type])
        return data

    def rotate_root_keys(self, *, signed_by_old: int | None = None, threshold: int = 2) -> bytes:
        self.keys[Root.type] = _signers(3)
        return self.publish_root(threshold=threshold, signed_by_old=signed_by_old)

    def write(
        self,
        folder: Path,
        *,
        timestamp_expires: timedelta = timedelta(days=7),
        bump: bool = True,
        target: bytes | None = None,
        targets_signer: CryptoSigner | None = None,
    ) -> Path:
        """Write a complete snapshot (all roots after v1, new versions of the other roles
        when `bump`) into `folder`."""
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "targets").mkdir(exist_ok=True)
        for version, data in enumerate(self.roots[1:], start=2):
            (folder / f"{version}.root.json").write_bytes(data)
        if bump:
            self.timestamp_version += 1
            self.snapshot_version += 1
            self.targets_version += 1
        content = self.trusted_root if target is None else target
        targets = Targets(version=self.targets_version, expires=self.now + timedelta(days=90))
        targets.targets["trusted_root.json"] = TargetFile.from_data("trusted_root.json", content)
        targets_bytes = self._signed(targets, targets_signer or self.keys[Targets.type][0])
        digest = hashlib.sha256(content).hexdigest()
        (folder / "targets" / f"{digest}.trusted_root.json").write_bytes(content)
        (folder / f"{self.targets_version}.targets.json").write_bytes(targets_bytes)
        snapshot = Snapshot(version=self.snapshot_version, expires=self.now + timedelta(days=30))
        snapshot.meta["targets.json"] = MetaFile(
            version=self.targets_version, length=len(targets_bytes),
            hashes={"sha256": hashlib.sha256(targets_bytes).hexdigest()},
        )  # fmt: skip
        snapshot_bytes = self._signed(snapshot, self.keys[Snapshot.type][0])
        (folder / f"{self.snapshot_version}.snapshot.json").write_bytes(snapshot_bytes)
        timestamp = Timestamp(
            version=self.timestamp_version,
            expires=self.now + timestamp_expires,
            snapshot_meta=MetaFile(
                version=self.snapshot_version, length=len(snapshot_bytes),
                hashes={"sha256": hashlib.sha256(snapshot_bytes).hexdigest()},
            ),
        )  # fmt: skip
        (folder / "timestamp.json").write_bytes(
            self._signed(timestamp, self.keys[Timestamp.type][0])
        )
        return folder

    @staticmethod
    def _signed(signed: _Online, signer: CryptoSigner) -> bytes:
        metadata = Metadata(signed)
        metadata.sign(signer)
        return metadata.to_bytes(JSONSerializer())
