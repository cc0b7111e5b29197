"""Admit (and deny) artifacts in a loop, as `provenance admit` does: for the crash test.

Each iteration: write an artifact, stage it (copy + hash), then in one ledger transaction
read the newest admitted version, and either admit it (store, VSA, admission, audit record) or
record a denial; discard the staged copy. The crash test kills this process with SIGKILL at
random moments and then checks the state directory's consistency.

Usage: admit_loop.py --state-dir DIR --seed N [--count K]  (one output line per artifact)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ed25519
from packaging.version import Version

from provenance.record import (
    AuditEvent,
    ContentStore,
    Ledger,
    PolicyRef,
    SignerEvidence,
    StateDir,
    record_admit,
)
from provenance.signing.keys import SigningKey

# The crash test verifies the audit chain's signatures with this key's public half.
SITE_KEY_SEED = b"provenance crash test: site key"
PRODUCT = "pkg:generic/acme/plc-firmware"
SEGMENTS = ("level1-controllers", "level3-operations")
MAX_ARTIFACT_BYTES = 256 * 1024
# About half a second of work after start-up: long enough to be killed in the middle.
DEFAULT_COUNT = 40


def site_key() -> SigningKey:
    seed = hashlib.sha256(SITE_KEY_SEED).digest()
    return SigningKey(ed25519.Ed25519PrivateKey.from_private_bytes(seed), source="crash test")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT)
    arguments = parser.parse_args()
    rng = random.Random(arguments.seed)
    key = site_key()
    state = StateDir.open(arguments.state_dir, create=True)
    store = ContentStore(state)
    work = state.root.parent / f"sources-{os.getpid()}"
    work.mkdir(exist_ok=True)
    policy = PolicyRef(path="policies/crash.yaml", sha256=hashlib.sha256(b"crash").hexdigest())
    with Ledger.open(state.ledger_path, create=True) as ledger:
        for index in range(arguments.count):
            # A few artifacts repeat across runs (re-admission of the same digest).
            size = rng.randrange(1, MAX_ARTIFACT_BYTES)
            unique = rng.random() < 0.8
            label = f"{arguments.seed}-{index}" if unique else f"shared-{rng.randrange(4)}"
            data = label.encode() + rng.randbytes(size) if unique else label.encode() * 1000
            source = work / f"artifact-{index}.bin"
            source.write_bytes(data)
            staged = store.stage_copy(source)
            segment = rng.choice(SEGMENTS)
            try:
                with ledger.transaction() as transaction:
                    newest = transaction.newest_version(PRODUCT, segment, Version)
                    version = f"{arguments.seed}.{index}"
                    allowed = rng.random() < 0.75
                    event = AuditEvent(
                        kind="admit" if allowed else "deny",
                        at=datetime.now(UTC),
                        artifact_name=source.name,
                        artifact_sha256=staged.sha256_hex,
                        segment=segment,
                        policy=policy,
                        product=PRODUCT,
                        version=version,
                        signers=(SignerEvidence(method="key", key_id=key.key_id, vendor="acme"),),
                        reason=None if allowed else "expected a vendor signature, got none",
                        details={"newest_admitted": newest, "pid": os.getpid()},
                    )
                    if allowed:
                        record_admit(
                            transaction,
                            state,
                            staged,
                            event=event,
                            make_vsa=lambda inclusion: json.dumps(
                                {"run": arguments.seed, "auditLog": inclusion.to_json()}
                            ),
                            evidence={"version": version},
                            signer=key,
                        )
                    else:
                        transaction.append_audit(event, signer=key)
            finally:
                store.discard(staged)
            source.unlink()
            print(f"{index} {'admitted' if allowed else 'denied'}", flush=True)


if __name__ == "__main__":
    main()
