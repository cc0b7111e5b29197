"""`provenance trust import|status|fetch` (issue 19): TUF snapshots built here with python-tuf's
metadata API (threshold root rotation, expired timestamp, rollback, wrong key, mix-and-match),
and the real Sigstore staging snapshot from sigstore-python's test assets (Apache-2.0, in
../shared/corpora) verified from the root the sigstore package ships."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from securesystemslib.signer import CryptoSigner
from tuf.api.exceptions import DownloadHTTPError, RepositoryError
from tuf.ngclient import FetcherInterface, Updater

from provenance.commands.trust import trust_import
from provenance.record import Ledger
from provenance.testing import PrivateSigstoreInstance
from provenance.verification.sigstore.tuf_snapshot import TufRefused, verify_tuf_snapshot
from tests.conftest import CliRunner, Release, corpus
from tests.tuf_repository import TufTestRepository

NOW = datetime.now(UTC)


@pytest.fixture
def repo(instance: PrivateSigstoreInstance) -> TufTestRepository:
    return TufTestRepository(NOW, instance.trusted_root_json().encode())


@pytest.fixture
def site(cli: CliRunner, tmp_path: Path, repo: TufTestRepository) -> Path:
    """A state directory with a site key, and the repository's root v1 to bootstrap from."""
    state = tmp_path / "state"
    state.mkdir()
    assert cli("keys", "generate", state / "site.key").code == 0
    (tmp_path / "root.json").write_bytes(repo.roots[0])
    return state


def _import(cli: CliRunner, folder: Path, state: Path, *extra: str | Path) -> tuple[int, str]:
    result = cli("trust", "import", folder, "--repository", "test", "--state-dir", state, *extra)
    assert "Traceback" not in result.stderr
    return result.code, result.stderr


def _first(cli: CliRunner, tmp_path: Path, repo: TufTestRepository, state: Path) -> None:
    code, err = _import(
        cli, repo.write(tmp_path / "media-1"), state, "--bootstrap-root", tmp_path / "root.json"
    )
    assert code == 0, err


def test_import_installs_a_verified_root_that_policies_name(  # noqa: PLR0917
    cli: CliRunner,
    tmp_path: Path,
    repo: TufTestRepository,
    site: Path,
    release: Release,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    media = repo.write(tmp_path / "media")
    code, err = _import(cli, media, site, "--bootstrap-root", tmp_path / "root.json")
    assert code == 0, err
    assert err.startswith(
        f"OK: trust import: {media}: imported:test import 1 (TUF root v1, timestamp v1, "
        "snapshot v1, targets v1; trusted_root.json sha256:"
    )
    # The same snapshot again: nothing new.
    assert _import(cli, media, site)[1].startswith(f"OK: trust import: {media}: already imported")
    status = cli("trust", "status", "--state-dir", site)
    assert status.code == 0
    assert "imported:test: TUF root v1 from " in status.stdout
    assert "  import 1 of 1 at " in status.stdout
    assert "  root keys (2 of 3): " in status.stdout
    assert "embedded:production: TUF root v" in status.stdout
    # The audit log records it, signed, with the trusted_root.json as the artifact.
    with Ledger.open(site / "ledger.sqlite3", create=False) as ledger:
        (record,) = list(ledger.audit_records())
    event = record.event()
    assert (event.kind, event.decision) == ("trust-import", "trust")
    assert event.details["repository"] == "test"
    assert record.signature is not None
    # A policy naming imported:test verifies a bundle of the instance it describes.
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "version: 1\ntrust: {sigstore: ['imported:test']}\nvendors:\n  acme:\n    signers:\n"
        "      - sigstore: {identity: "
        '"https://github.com/acme/plc-fw/.github/workflows/release.yml@refs/tags/v4.2.1", '
        'issuer: "https://token.actions.githubusercontent.com"}\n'
        "    products: [pkg:generic/acme/plc-firmware]\n"
    )
    monkeypatch.setenv("PROVENANCE_STATE_DIR", str(site))
    verified = cli("verify", release.artifact, "--bundle", release.bundle, "--policy", policy)
    assert verified.code == 0, verified.stderr


def test_imported_root_unknown_or_tampered_is_a_usage_error(  # noqa: PLR0917
    cli: CliRunner,
    tmp_path: Path,
    repo: TufTestRepository,
    site: Path,
    release: Release,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PROVENANCE_STATE_DIR", str(site))
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "version: 1\ntrust: {sigstore: ['imported:test']}\nvendors:\n  acme:\n    signers:\n"
        '      - sigstore: {identity: "a@acme.example", issuer: "https://issuer.example"}\n'
        "    products: [pkg:generic/acme/fw]\n"
    )
    args = ("verify", release.artifact, "--bundle", release.bundle, "--policy", policy)
    missing = cli(*args)
    assert missing.code == 2
    assert "imported:test: no trust root imported into" in missing.stderr
    _first(cli, tmp_path, repo, site)
    # An insider edits the installed trusted_root.json: it no longer matches targets.
    (stored,) = (site / "trust/test/1/targets").iterdir()
    stored.write_text(stored.read_text().replace('"tlogs"', '"tlogs" '))
    tampered = cli(*args)
    assert tampered.code == 2
    assert "imported:test: the newest import in " in tampered.stderr
    assert "no longer verifies" in tampered.stderr


def test_root_rotation_needs_the_threshold_of_the_old_root_keys(
    cli: CliRunner, tmp_path: Path, repo: TufTestRepository, site: Path
) -> None:
    _first(cli, tmp_path, repo, site)
    repo.rotate_root_keys(signed_by_old=2)  # 2 of 3 old keys: enough
    code, err = _import(cli, repo.write(tmp_path / "media-2"), site)
    assert code == 0, err
    assert "(TUF root v2," in err
    repo.rotate_root_keys(signed_by_old=1)  # 1 of the 3 old keys: not enough
    code, err = _import(cli, repo.write(tmp_path / "media-3"), site)
    assert code == 1
    assert err.startswith(
        f"FAIL: trust import: {tmp_path / 'media-3'}: 3.root.json (signed by root v2's root keys): "
    )
    assert "threshold" in err or "signed by 1/2" in err


def test_an_expired_timestamp_is_a_freeze_unless_the_policy_allows_the_staleness(
    cli: CliRunner, tmp_path: Path, repo: TufTestRepository, site: Path
) -> None:
    media = repo.write(tmp_path / "media", timestamp_expires=timedelta(days=-2))
    code, err = _import(cli, media, site, "--bootstrap-root", tmp_path / "root.json")
    assert code == 1
    assert "timestamp.json: expired at " in err
    assert "(a snapshot held back from the site is a freeze attack)" in err
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "version: 1\ntrust: {tuf: {max_staleness_days: 3}}\nvendors:\n  acme:\n    signers:\n"
        '      - sigstore: {identity: "a@acme.example", issuer: "https://issuer.example"}\n'
        "    products: [pkg:generic/acme/fw]\n"
    )
    code, err = _import(
        cli, media, site, "--bootstrap-root", tmp_path / "root.json", "--policy", policy
    )
    assert code == 0, err
    assert "; timestamp expired 2 days ago, within the policy's max_staleness_days 3 " in err
    with Ledger.open(site / "ledger.sqlite3", create=False) as ledger:
        (record,) = list(ledger.audit_records())
    details = record.event().details
    assert (details["stale_by_days"], details["max_staleness_days"]) == (2, 3)
    assert record.event().policy is not None
    # Beyond the stated staleness: refused, saying what the policy allows.
    older = repo.write(tmp_path / "media-old", timestamp_expires=timedelta(days=-5))
    code, err = _import(cli, older, site, "--policy", policy)
    assert code == 1
    assert "; the policy allows 3 days;" in err


def test_older_genuine_metadata_is_a_rollback(
    cli: CliRunner, tmp_path: Path, repo: TufTestRepository, site: Path
) -> None:
    _first(cli, tmp_path, repo, site)
    assert _import(cli, repo.write(tmp_path / "media-2"), site)[0] == 0
    code, err = _import(cli, tmp_path / "media-1", site)
    assert code == 1
    assert (
        "timestamp.json: version 1 is older than the trusted version 2; expected 2 or newer "
        "(rollback)" in err
    )


def test_targets_signed_by_a_key_the_root_does_not_delegate_to(
    cli: CliRunner, tmp_path: Path, repo: TufTestRepository, site: Path
) -> None:
    media = repo.write(tmp_path / "media", targets_signer=CryptoSigner.generate_ed25519())
    code, err = _import(cli, media, site, "--bootstrap-root", tmp_path / "root.json")
    assert code == 1
    assert err.startswith(f"FAIL: trust import: {media}: 1.targets.json: ")
    assert not (site / "trust/test/1").exists()


def test_mix_and_match_is_refused(
    cli: CliRunner, tmp_path: Path, repo: TufTestRepository, site: Path, other_instance: Any
) -> None:
    old = repo.write(tmp_path / "media-1")
    new = repo.write(tmp_path / "media-2")
    # The new timestamp with the old snapshot (renamed to the version it names).
    shutil.copyfile(old / "1.snapshot.json", new / "2.snapshot.json")
    code, err = _import(cli, new, site, "--bootstrap-root", tmp_path / "root.json")
    assert code == 1
    assert "2.snapshot.json: does not match what timestamp.json states: " in err
    # A genuine signed targets of the same repository, with another trusted_root.json beside.
    swapped = repo.write(tmp_path / "media-3")
    (target,) = (swapped / "targets").iterdir()
    target.write_bytes(other_instance.trusted_root_json().encode())
    code, err = _import(cli, swapped, site, "--bootstrap-root", tmp_path / "root.json")
    assert code == 1
    assert ".trusted_root.json: does not match what 3.targets.json states: " in err


def test_the_real_sigstore_staging_snapshot_verifies_from_the_packaged_root(
    cli: CliRunner, tmp_path: Path
) -> None:
    folder = corpus("sigstore-python") / "test/assets/staging-tuf"
    media = tmp_path / "staging-tuf"
    shutil.copytree(folder, media)
    state = tmp_path / "state"
    state.mkdir()
    assert cli("keys", "generate", state / "site.key").code == 0
    # Its timestamp expired on 2025-07-29 (sigstore-python freezes the clock in its tests).
    before = datetime(2025, 7, 28, tzinfo=UTC)
    result = trust_import(media, repository="staging", state_dir=state, clock=lambda: before)
    assert result.number == 1
    assert (result.verified.timestamp.signed.version, result.verified.root.signed.version) == (
        353,
        14,
    )
    keyless = cli(
        "trust", "import", media, "--repository", "staging", "--state-dir", tmp_path / "s2"
    )
    assert keyless.code == 2  # no site key in that state directory
    assert "no site key" in keyless.stderr
    fresh = tmp_path / "s3"
    fresh.mkdir()
    assert cli("keys", "generate", fresh / "site.key").code == 0
    later = cli("trust", "import", media, "--repository", "staging", "--state-dir", fresh)
    assert later.code == 1
    # Today the packaged staging root (v14) has expired too; the root is never stale-allowed.
    assert "root.json v14: expired at 2026-10-16T19:39:43+00:00" in later.stderr


def test_the_reference_client_agrees(tmp_path: Path, repo: TufTestRepository) -> None:
    """python-tuf's own ngclient Updater, reading the same folders, decides as we do."""

    class Folder(FetcherInterface):
        def __init__(self, root: Path) -> None:
            self.root = root

        def _fetch(self, url: str) -> Iterator[bytes]:
            path = self.root / url.removeprefix("file:///")
            if not path.is_file():
                raise DownloadHTTPError("not found", 404)
            return iter([path.read_bytes()])

    def reference(folder: Path) -> bool:
        cache = tmp_path / f"cache-{folder.name}"
        cache.mkdir()
        updater = Updater(
            str(cache), "file:///", str(cache), "file:///targets/", Folder(folder),
            bootstrap=repo.roots[0],
        )  # fmt: skip
        try:
            info = updater.get_targetinfo("trusted_root.json")
            return info is not None and bool(updater.download_target(info))
        except RepositoryError:
            return False

    def ours(folder: Path) -> bool:
        try:
            verify_tuf_snapshot(folder, trusted_root=repo.roots[0], baseline=None, now=NOW)
        except TufRefused:
            return False
        return True

    good = repo.write(tmp_path / "good")
    wrong = repo.write(tmp_path / "wrong", targets_signer=CryptoSigner.generate_ed25519())
    expired = repo.write(tmp_path / "expired", timestamp_expires=timedelta(days=-1))
    for folder, expected in ((good, True), (wrong, False), (expired, False)):
        assert (ours(folder), reference(folder)) == (expected, expected), folder.name


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def served(tmp_path: Path, loopback_network: None) -> Iterator[str]:
    """A web server on 127.0.0.1 serving tmp_path/served (the test writes the repository)."""
    folder = tmp_path / "served"
    folder.mkdir()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_fetch_online_downloads_a_verified_snapshot_to_carry(
    cli: CliRunner, tmp_path: Path, repo: TufTestRepository, site: Path, served: str
) -> None:
    # The site's state directory knows the repository (bootstrapped from its root v1).
    _first(cli, tmp_path, repo, site)
    repo.write(tmp_path / "served")
    target = tmp_path / "usb" / "sigstore-tuf"
    target.parent.mkdir()
    offline = cli("trust", "fetch", target, "--repository", "test", "--state-dir", site)
    assert offline.code == 2
    assert offline.stderr == "error: trust fetch: goes online; expected --online to say so\n"
    fetched = cli(
        "trust", "fetch", "--online", target, "--repository", "test", "--base-url", served,
        "--state-dir", site,
    )  # fmt: skip
    assert fetched.code == 0, fetched.stderr
    assert fetched.stderr.startswith(f"OK: trust fetch: {target}: timestamp v2 (expires ")
    assert json.loads((target / "timestamp.json").read_text())["signed"]["version"] == 2
    assert _import(cli, target, site)[0] == 0
