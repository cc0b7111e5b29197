"""The library API: `provenance.verify` with injected trust roots and clocks."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path

import pytest

import provenance
from provenance.testing import PrivateSigstoreInstance
from tests.conftest import IDENTITY, ISSUER, SIGNED_AT, Release

KEYLESS = provenance.NamedSigner(
    provenance.SigstoreIdentity(
        identity=provenance.Pattern.exact(IDENTITY), issuer=provenance.Pattern.exact(ISSUER)
    ),
    vendor="acme-automation",
)


def test_verify_returns_the_facts(release: Release) -> None:
    result = provenance.verify(
        str(release.artifact),
        signers=[KEYLESS],
        bundle=release.bundle,
        trust_roots=[str(release.trusted_root)],
        clock=lambda: SIGNED_AT + timedelta(days=30),
    )
    assert result.decision == "verified"
    assert result.reason == ""
    fact = result.fact
    assert fact is not None
    assert fact.artifact_sha256 == hashlib.sha256(release.artifact.read_bytes()).hexdigest()
    assert (fact.identity, fact.issuer, fact.vendor) == (IDENTITY, ISSUER, "acme-automation")
    assert fact.signed_at == SIGNED_AT
    assert fact.integrated_time == SIGNED_AT
    assert fact.content == "message-signature"
    assert fact.log_entry_kind == "hashedrekord/0.0.1"


def test_a_log_time_ahead_of_the_clock_is_refused(release: Release) -> None:
    result = provenance.verify(
        str(release.artifact),
        signers=[KEYLESS],
        bundle=release.bundle,
        trust_roots=[str(release.trusted_root)],
        clock=lambda: SIGNED_AT - timedelta(hours=1),
    )
    assert result.decision == "failed"
    assert result.reason == (
        "tlog time 2026-03-02T09:30:00+00:00 from https://log.test.invalid is in the future "
        "(now 2026-03-02T08:30:00+00:00)"
    )


def test_trust_roots_are_tried_one_at_a_time(
    release: Release, other_instance: PrivateSigstoreInstance, tmp_path: Path
) -> None:
    other_root = other_instance.write_trusted_root(tmp_path / "other.json")
    result = provenance.verify(
        str(release.artifact),
        signers=[KEYLESS],
        bundle=release.bundle,
        trust_roots=[str(other_root), provenance.load_trust_root(str(release.trusted_root))],
    )
    assert result.decision == "verified"
    assert [o.passed for o in result.outcomes] == [False, True]

    failed = provenance.verify(
        str(release.artifact),
        signers=[KEYLESS],
        bundle=release.bundle,
        trust_roots=[str(other_root), "embedded:production"],
    )
    assert failed.decision == "failed"
    assert failed.reason.startswith(f"under {other_root}: log entry is from log ")
    assert "; under embedded:production: log entry is from log " in failed.reason


def test_usage_errors_raise(release: Release) -> None:
    with pytest.raises(provenance.UsageError, match="no signer to verify against"):
        provenance.verify(str(release.artifact), signers=[], bundle=release.bundle)
    with pytest.raises(provenance.UsageError, match="a digest has no bundle beside it"):
        provenance.verify("sha256:" + "0" * 64, signers=[KEYLESS])


def test_a_trust_root_vouches_only_for_identities_bound_to_it(
    release: Release, other_instance: PrivateSigstoreInstance, tmp_path: Path
) -> None:
    """Another instance's CA can certify any identity; it must not pass as this vendor's."""
    site_root = provenance.load_trust_root(str(release.trusted_root))
    other_root = provenance.load_trust_root(
        str(other_instance.write_trusted_root(tmp_path / "other.json"))
    )
    forged = tmp_path / "forged.sigstore.json"
    forged.write_text(
        json.dumps(
            other_instance.sign_artifact(
                release.artifact.read_bytes(), identity=IDENTITY, issuer=ISSUER, signed_at=SIGNED_AT
            )
        )
    )
    bound = provenance.NamedSigner(
        provenance.SigstoreIdentity(
            identity=provenance.Pattern.exact(IDENTITY),
            issuer=provenance.Pattern.exact(ISSUER),
            trust_root=site_root.name,
        ),
        vendor="acme-automation",
    )
    result = provenance.verify(
        str(release.artifact), signers=[bound], bundle=forged, trust_roots=[site_root, other_root]
    )
    assert result.decision == "failed"
    assert f"under {other_root.name}: bundle is signed with a certificate (keyless), but no " in (
        result.reason
    )
    genuine = provenance.verify(
        str(release.artifact),
        signers=[bound],
        bundle=release.bundle,
        trust_roots=[other_root, site_root],
    )
    assert genuine.decision == "verified"
