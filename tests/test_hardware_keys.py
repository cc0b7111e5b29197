"""Keys in hardware or encrypted (issue 19): a site key and an approver's key in a SoftHSM2
token named by PKCS#11 URIs (`admit`, `approve`, `check --vsa` round-trip), and passphrase-
encrypted PEM keys (`keys generate --encrypt`, the passphrase from the environment, never a
flag); `policy lint` warns about an unencrypted site key.

SoftHSM2 is a Debian package (`.ci/run` installs it); each test makes its own token in a
temporary directory (SOFTHSM2_CONF), so nothing outside the test is touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pkcs11
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import load_der_public_key
from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters

from tests.conftest import CliRunner
from tests.gate_helpers import L1, make_site

FIRMWARE = "plc-firmware-4.2.1.bin"
PIN = "20261207"
MODULES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
)


@dataclass(frozen=True)
class Token:
    module: str
    label: str

    def uri(self, key: str) -> str:
        return f"pkcs11:token={self.label};object={key}"


def _module() -> str:
    found = next((m for m in MODULES if Path(m).is_file()), None)
    if found is None or shutil.which("softhsm2-util") is None:
        pytest.skip(
            "SoftHSM2 is not installed (Debian package softhsm2; .ci/run installs it as root)"
        )
    return found


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory: pytest.TempPathFactory) -> Token:
    """One token for the session: SoftHSM2 reads SOFTHSM2_CONF once per process, when the
    PKCS#11 module is first initialised, so every test of this process shares it."""
    module = _module()
    folder = tmp_path_factory.mktemp("softhsm")
    (folder / "tokens").mkdir()
    config = folder / "softhsm2.conf"
    config.write_text(f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\n")
    os.environ["SOFTHSM2_CONF"] = str(config)
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", "site", "--pin", PIN,
         "--so-pin", "so-" + PIN],
        check=True, capture_output=True,
    )  # fmt: skip
    return Token(module, "site")


@pytest.fixture
def token(softhsm: Token, monkeypatch: pytest.MonkeyPatch) -> Token:
    monkeypatch.setenv("PROVENANCE_PKCS11_MODULE", softhsm.module)
    monkeypatch.setenv("PROVENANCE_PKCS11_PIN", PIN)
    return softhsm


def _key_pair(token: Token, label: str) -> tuple[str, bytes]:
    """A P-256 key pair generated inside the token: its label and its public key as PEM."""
    label = f"{label}-{uuid.uuid4().hex[:8]}"  # one token for the session: unique labels
    library = pkcs11.lib(token.module)
    found = library.get_token(token_label=token.label)
    try:
        session = found.open(rw=True, user_pin=PIN)
    except pkcs11.UserAlreadyLoggedIn:  # an earlier test of this process logged in
        session = found.open(rw=True)
    with session:
        curve = {pkcs11.Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")}
        parameters = session.create_domain_parameters(pkcs11.KeyType.EC, curve, local=True)
        public, _ = parameters.generate_keypair(store=True, label=label)
        der = encode_ec_public_key(public)
    return label, load_der_public_key(der).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def test_admit_approve_and_check_vsa_with_keys_in_a_token(
    cli: CliRunner, tmp_path: Path, token: Token
) -> None:
    site = make_site(tmp_path)
    (site.state / "site.key").unlink()
    site_public = site.state / "site.pub"
    site_key, pem = _key_pair(token, "site-key")
    site_public.write_bytes(pem)
    # Bob approves with the key in his token; the policy pins its public key.
    bob, pem = _key_pair(token, "bob")
    (site.delivery / "keys/bob.pub").write_bytes(pem)
    (site.delivery / f"{FIRMWARE}.approval-bob.json").unlink()
    policy = site.policy.read_text()
    site.policy.write_text(policy.replace("groups:", "site: {vsa_key: site.pub}\ngroups:", 1))
    shutil.copy(site_public, site.delivery / "site.pub")
    approved = cli(
        "approve", site.delivery / FIRMWARE, "--key", token.uri(bob), "--group", "ot-security",
        "--segment", L1, "--comment", "CHG-19: tested on the bench", "--name", "bob",
    )  # fmt: skip
    assert approved.code == 0, approved.stderr
    assert approved.stderr.startswith(f"OK: {site.delivery / FIRMWARE}: approval for {L1} ")
    admitted = cli(
        "admit", site.delivery / FIRMWARE, "--policy", site.policy, "--segment", L1,
        "--state-dir", site.state, "--site-key", token.uri(site_key),
    )  # fmt: skip
    assert admitted.code == 0, admitted.stderr
    (vsa,) = (site.state / "vsa").rglob("*.json")
    checked = cli(
        "check", site.delivery / FIRMWARE, "--segment", L1, "--vsa", vsa,
        "--site-key", site_public,
    )  # fmt: skip
    assert checked.code == 0, checked.stderr
    assert "audit record 1 included in the site's checkpoint" in checked.stderr
    audit = cli("audit", "verify", "--state-dir", site.state, "--site-key", site_public)
    assert audit.code == 0, audit.stderr


def test_token_problems_are_one_line_usage_errors(
    cli: CliRunner, tmp_path: Path, token: Token
) -> None:
    site = make_site(tmp_path)
    label, _ = _key_pair(token, "site-key")
    args = ("admit", site.delivery / FIRMWARE, "--policy", site.policy, "--segment", L1,
            "--state-dir", site.state, "--site-key")  # fmt: skip
    missing = cli(*args, token.uri("nobody"))
    assert missing.code == 2
    assert missing.stderr.startswith("error: pkcs11:token=site;object=nobody: NoSuchKey")
    in_flag = cli(*args, token.uri(label) + "?pin-value=1234")
    assert in_flag.code == 2
    assert "carries pin-value; expected the PIN in $PROVENANCE_PKCS11_PIN" in in_flag.stderr
    # A wrong PIN, in a process of its own (PKCS#11 logins last as long as the process).
    environment = {**os.environ, "PROVENANCE_PKCS11_PIN": "wrong-pin"}
    wrong = subprocess.run(
        [sys.executable, "-m", "provenance", *map(str, args), token.uri(label)],
        capture_output=True, text=True, env=environment, check=False,
    )  # fmt: skip
    assert wrong.returncode == 2
    assert wrong.stderr == (
        f"error: pkcs11:token=site;object={label}: PinIncorrect; expected the token, PIN and "
        "key it names\n"
    )


def test_encrypted_keys_take_their_passphrase_from_the_environment(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = make_site(tmp_path)
    key = site.state / "site.key"
    key.unlink()
    (site.state / "site.key.pub").unlink()
    no_passphrase = cli("keys", "generate", "--encrypt", key)
    assert no_passphrase.code == 2
    assert no_passphrase.stderr == (
        f"error: {key}: needs a passphrase: set $PROVENANCE_KEY_PASSPHRASE or run on a "
        "terminal to be asked\n"
    )
    monkeypatch.setenv("PROVENANCE_KEY_PASSPHRASE", "correct horse battery")
    made = cli("keys", "generate", "--encrypt", key)
    assert made.code == 0, made.stderr
    assert key.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert key.stat().st_mode & 0o777 == 0o600
    lint = cli("policy", "lint", site.policy, "--state-dir", site.state)
    assert "site key: an unencrypted" not in lint.stdout
    admitted = cli(
        "admit", site.delivery / FIRMWARE, "--policy", site.policy, "--segment",
        "level3-operations", "--state-dir", site.state,
    )  # fmt: skip
    assert admitted.code == 0, admitted.stderr
    monkeypatch.setenv("PROVENANCE_KEY_PASSPHRASE", "wrong horse")
    wrong = cli(
        "admit", site.delivery / FIRMWARE, "--policy", site.policy, "--segment",
        "level3-operations", "--state-dir", site.state,
    )  # fmt: skip
    assert wrong.code == 2
    assert wrong.stderr == (
        f"error: {key}: cannot decrypt the private key: wrong passphrase, or not a key\n"
    )


def test_lint_warns_about_an_unencrypted_site_key(cli: CliRunner, tmp_path: Path) -> None:
    site = make_site(tmp_path)  # its site.key is a plain PEM file
    result = cli("policy", "lint", site.policy, "--state-dir", site.state)
    assert result.code == 0
    assert (
        f"{site.state / 'site.key'}:1:1: warning: site key: an unencrypted PEM private key; "
        "whoever copies this file can sign admissions and audit records: re-create it with "
        "`provenance keys generate --encrypt`"
    ) in result.stdout
    assert result.stderr.endswith(", 1 warning(s)\n")
    uri = cli("policy", "lint", site.policy, "--site-key", "pkcs11:token=site;object=k")
    assert "site key" not in uri.stdout
