"""in-toto's own verifier (the `in-toto` package, 3.x) as a test oracle for ours.

Each scenario is written to one folder and verified by both: `in_toto.verifylib.in_toto_verify`
(which always runs inspections, here in that folder) and our `verify_layout`. The verdicts must
agree, except where DIFFERENCES says why they deliberately do not:

- in-toto does not bind a layout to an artifact (`in_toto_verify` takes none); a replaced final
  product fails there through the inspection that unpacks it, here through step 7 (binding).
  Same verdict, different check, so no entry below.
- Our inspections are skipped unless asked; the in-toto demo's inspection runs `python
  ./scripts/tar`, which our runner (commands looked up in /bin:/usr/bin only) would not find,
  so for those scenarios our verdict is the one without inspections. The in-toto-golang
  scenarios run `tar`, and we run the inspection too.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import securesystemslib.exceptions
from cryptography.hazmat.primitives import serialization
from in_toto.exceptions import Error as InTotoError
from in_toto.models._signer import load_public_key_from_file
from in_toto.models.metadata import Metadata
from in_toto.verifylib import in_toto_verify

from provenance.testing.in_toto import derive_signer, dsse_envelope, dump, metablock
from provenance.testing.in_toto_golang import (
    GolangSigner,
    golang_dump,
    golang_inspection,
    golang_keyid,
    golang_layout,
    golang_metablock,
    golang_step,
)
from provenance.verification.in_toto_keys import load_layout_key
from provenance.verification.in_toto_layout import verify_layout
from tests.conftest import corpus
from tests.data.in_toto_golang import generate
from tests.test_in_toto_corpus import FORMATS, signer, template

# in-toto's artifact recording calls pathspec's deprecated gitwildmatch: not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:GitWildMatchPattern:DeprecationWarning")
NOW = datetime(2026, 6, 1, tzinfo=UTC)
GOLANG = Path(__file__).parent / "data" / "in_toto_golang"
GOLANG_X509 = (
    "in-toto-python re-serializes a layout through its model before checking the signature, "
    "and the model drops in-toto-golang's rootcas, intermediatecas and cert_constraints, so it "
    "checks the signature over other bytes (SignatureVerificationError); nor does it have "
    "X.509 functionaries. We canonicalize the signed object as received."
)
# scenario -> (our verdict, in-toto's verdict, why they differ)
DIFFERENCES: dict[str, tuple[str, str, str]] = {
    "golang: generated chain with a certified functionary": ("pass", "fail", GOLANG_X509),
    "golang: upstream fee73c67 (rootcas, intermediatecas, cert_constraints)": (
        "pass",
        "fail",
        GOLANG_X509,
    ),
    "golang: upstream 16fe653c (rootcas: [], cert_constraints: [])": ("pass", "fail", GOLANG_X509),
}
# The script the in-toto demo's inspection runs (`python ./scripts/tar xfz foo.tar.gz`), as
# in-toto's own tests provide it.
TAR_SCRIPT = "import sys, tarfile\ntarfile.open(sys.argv[2]).extractall(filter='data')\n"


@dataclass(frozen=True)
class Inputs:
    folder: Path  # layout, links, the final product, everything an inspection sees
    layout: str
    ours: list[Path]  # layout keys for us (PEM)
    theirs: dict[str, dict[str, Any]]  # the same keys as in-toto's key dicts
    artifact: bytes  # what the gate is asked about
    run_inspections: bool


def our_verdict(inputs: Inputs) -> str:
    result = verify_layout(
        inputs.folder / inputs.layout,
        layout_keys=[load_layout_key(key) for key in inputs.ours],
        link_dir=inputs.folder,
        artifact_sha256=hashlib.sha256(inputs.artifact).digest(),
        now=NOW,
        run_inspections=inputs.run_inspections,
        inspection_dir=inputs.folder if inputs.run_inspections else None,
    )
    return "pass" if result.passed else "fail"


def in_toto_verdict(inputs: Inputs, monkeypatch: pytest.MonkeyPatch) -> str:
    # in-toto runs inspections in the working directory, with the caller's PATH; the demo's
    # runs `python`, which is this interpreter whatever the system calls its own.
    bin_dir = inputs.folder.parent / "bin"
    bin_dir.mkdir(exist_ok=True)
    if not (bin_dir / "python").exists():
        (bin_dir / "python").symlink_to(sys.executable)
    monkeypatch.chdir(inputs.folder)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    try:
        in_toto_verify(
            Metadata.load(inputs.layout),
            inputs.theirs,
            link_dir_path=".",
            persist_inspection_links=False,
        )
    except (InTotoError, securesystemslib.exceptions.Error):
        return "fail"
    return "pass"


# -- the in-toto demo (../shared/corpora/in-toto), as tests/test_in_toto_corpus.py builds it ----


def demo_inputs(
    tmp_path: Path,
    envelope: str,
    *,
    signers: tuple[str, ...] = ("alice",),
    keys: tuple[str, ...] = ("alice",),
    expires: str = "2031-03-01T12:00:00Z",
    change: Callable[[Path], None] | None = None,
) -> Inputs:
    demo = corpus("in-toto") / "tests" / "demo_files"
    folder = tmp_path / "demo"
    folder.mkdir()
    for link in (demo.parent / FORMATS[envelope]).glob("*.link"):
        shutil.copy(link, folder / link.name)
    shutil.copy(demo / "foo.tar.gz", folder / "foo.tar.gz")
    (folder / "scripts").mkdir()
    (folder / "scripts" / "tar").write_text(TAR_SCRIPT)
    signed = template(envelope) | {"expires": expires}
    sign = metablock if envelope == "metablock" else dsse_envelope
    (folder / "root.layout").write_bytes(dump(sign(signed, [signer(s) for s in signers])))
    if change is not None:
        change(folder)
    theirs = {}
    for name in keys:
        key = load_public_key_from_file(str(demo / f"{name}.pub"))
        theirs[key["keyid"]] = key
    return Inputs(
        folder=folder,
        layout="root.layout",
        ours=[demo / f"{name}.pub" for name in keys],
        theirs=theirs,
        artifact=(folder / "foo.tar.gz").read_bytes(),
        run_inspections=False,
    )


def _tamper_link(folder: Path) -> None:
    link = folder / "package.2f89b927.link"
    link.write_text(link.read_text().replace("52947cb78b91ad01", "0000000000000000"))


def _tamper_dsse_link(folder: Path) -> None:
    link = folder / "write-code.776a00e2.link"
    link.write_text(link.read_text().replace('"payload": "ey', '"payload": "ex'))


def _replace_product(folder: Path) -> None:
    (folder / "foo.tar.gz").write_bytes(b"a replaced product")


DEMO: dict[str, dict[str, Any]] = {
    "valid single-signed layout (alice)": {},
    "valid double-signed layout, verify with alice+bob": {
        "signers": ("alice", "bob"),
        "keys": ("alice", "bob"),
    },
    "layout with explicit future expiry": {"expires": "2099-01-01T00:00:00Z"},
    "layout expired": {"expires": "2020-01-01T00:00:00Z"},
    "layout verified with wrong key (bob.pub)": {"keys": ("bob",)},
    "layout unsigned": {"signers": ()},
    "link missing (write-code)": {
        "change": lambda folder: (folder / "write-code.776a00e2.link").unlink()
    },
    "final product replaced (foo.tar.gz)": {"change": _replace_product},
}


@pytest.mark.parametrize("envelope", list(FORMATS))
@pytest.mark.parametrize("scenario", [*DEMO, "link tampered (product hash changed after signing)"])
def test_the_in_toto_demo_scenarios_get_in_totos_verdict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, envelope: str, scenario: str
) -> None:
    if scenario in DEMO:
        options = DEMO[scenario]
    else:
        options = {"change": _tamper_link if envelope == "metablock" else _tamper_dsse_link}
    inputs = demo_inputs(tmp_path, envelope, **options)
    ours = our_verdict(inputs)
    assert ours == in_toto_verdict(inputs, monkeypatch), f"{envelope}: {scenario}"
    expected = corpus("in-toto") / "expected.json"
    assert ours == json.loads(expected.read_text())[f"{envelope}: {scenario}"]["expect"]


# -- in-toto-golang's shape ------------------------------------------------------------------


def golang_key_dict(pem: Path, *, keytype: str, scheme: str) -> dict[str, Any]:
    """A layout key as in-toto-golang identifies it (its key ID counts keyid_hash_algorithms)."""
    public = serialization.load_pem_public_key(pem.read_bytes())
    text = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key: dict[str, Any] = {
        "keytype": keytype,
        "scheme": scheme,
        "keyid_hash_algorithms": ["sha256", "sha512"],
        "keyval": {"public": text.decode().strip()},
    }
    return key | {"keyid": golang_keyid(key)}


def owner_keys(public: Path) -> tuple[list[Path], dict[str, dict[str, Any]]]:
    key = golang_key_dict(public, keytype="ecdsa", scheme="ecdsa-sha2-nistp256")
    return [public], {key["keyid"]: key}


PACKAGER = GolangSigner(derive_signer(generate.SEED, "listed packager", kind="p256"))


def plain_golang_layout(*, expires: str = "2036-01-01T00:00:00Z") -> dict[str, Any]:
    """in-toto-golang's shape without its X.509 fields: every functionary a listed key."""
    steps = [
        golang_step(
            "write-code", [generate.CODER.keyid], products=[["CREATE", "foo.py"], ["DISALLOW", "*"]]
        ),
        golang_step(
            "package",
            [PACKAGER.keyid],
            command=generate.PACKAGE_COMMAND,
            materials=[
                ["MATCH", "foo.py", "WITH", "PRODUCTS", "FROM", "write-code"],
                ["DISALLOW", "*"],
            ],
            products=[["CREATE", "foo.tar.gz"], ["DISALLOW", "*"]],
        ),
    ]
    untar = golang_inspection(
        "untar",
        ["tar", "xfz", "foo.tar.gz"],
        materials=[["MATCH", "foo.tar.gz", "WITH", "PRODUCTS", "FROM", "package"]],
        products=[["MATCH", "foo.py", "WITH", "PRODUCTS", "FROM", "write-code"]],
    )
    return golang_layout(
        steps=steps, keys=[generate.CODER.key, PACKAGER.key], inspect=[untar], expires=expires
    )


def plain_golang_inputs(
    tmp_path: Path,
    *,
    expires: str = "2036-01-01T00:00:00Z",
    change: Callable[[Path], None] | None = None,
) -> Inputs:
    folder = tmp_path / "golang"
    folder.mkdir()
    write = (folder / f"write-code.{generate.CODER.keyid[:8]}.link", generate.write_code_link())
    package = (folder / f"package.{PACKAGER.keyid[:8]}.link", generate.package_link())
    (folder / "root.layout").write_bytes(
        golang_dump(golang_metablock(plain_golang_layout(expires=expires), [generate.OWNER]))
    )
    write[0].write_bytes(golang_dump(golang_metablock(write[1], [generate.CODER])))
    package[0].write_bytes(golang_dump(golang_metablock(package[1], [PACKAGER])))
    (folder / "foo.tar.gz").write_bytes(generate.tarball())
    (folder / "owner.pub").write_bytes(generate.OWNER.public_pem)
    if change is not None:
        change(folder)
    trusted = folder / "other.pub" if (folder / "other.pub").is_file() else folder / "owner.pub"
    ours, theirs = owner_keys(trusted)
    return Inputs(folder, "root.layout", ours, theirs, (folder / "foo.tar.gz").read_bytes(), True)


def _other_owner(folder: Path) -> None:
    other = GolangSigner(derive_signer("someone else", "owner", kind="p256"))
    (folder / "other.pub").write_bytes(other.public_pem)


def _edit_expiry(folder: Path) -> None:
    layout = folder / "root.layout"
    layout.write_text(layout.read_text().replace("2036-01-01T00:00:00Z", "2099-01-01T00:00:00Z"))


def _tamper_golang_link(folder: Path) -> None:
    link = next(folder.glob("write-code.*.link"))
    link.write_text(
        link.read_text().replace('"foo.py": {', '"evil.py": {"sha256": "00"}, "foo.py": {')
    )


GOLANG_PLAIN: dict[str, dict[str, Any]] = {
    'golang: listed keys, cert "" in every signature': {},
    "golang: expired": {"expires": "2026-01-01T00:00:00Z"},
    "golang: tampered expiry": {"change": _edit_expiry},
    "golang: tampered link": {"change": _tamper_golang_link},
    "golang: replaced artifact": {"change": _replace_product},
    "golang: wrong layout key": {"change": _other_owner},
}
EXPECTED_PLAIN = {name: "pass" if not options else "fail" for name, options in GOLANG_PLAIN.items()}


@pytest.mark.parametrize("scenario", list(GOLANG_PLAIN))
def test_golang_shaped_chains_get_in_totos_verdict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scenario: str
) -> None:
    inputs = plain_golang_inputs(tmp_path, **GOLANG_PLAIN[scenario])
    ours = our_verdict(inputs)
    assert ours == in_toto_verdict(inputs, monkeypatch)
    assert ours == EXPECTED_PLAIN[scenario]


def golang_x509_inputs(tmp_path: Path, scenario: str) -> Inputs:
    folder = tmp_path / "golang"
    if scenario.startswith("golang: generated"):
        shutil.copytree(GOLANG / "generated", folder)
        ours, theirs = owner_keys(folder / "owner.pub")
        return Inputs(folder, "root.layout", ours, theirs, generate.tarball(), True)
    alice = GOLANG / "upstream" / "alice.pub"
    theirs_alice = golang_key_dict(alice, keytype="rsa", scheme="rsassa-pss-sha256")
    demo = corpus("in-toto") / "tests" / "demo_files"
    if "fee73c67" in scenario:
        shutil.copytree(GOLANG / "upstream" / "fee73c67", folder)
    else:
        shutil.copytree(demo, folder, ignore=shutil.ignore_patterns("*.template"))
        shutil.copy(GOLANG / "upstream" / "16fe653c" / "demo.layout", folder / "demo.layout")
    shutil.copy(demo / "foo.tar.gz", folder / "foo.tar.gz")
    return Inputs(
        folder, "demo.layout", [alice], {theirs_alice["keyid"]: theirs_alice},
        (folder / "foo.tar.gz").read_bytes(), False,
    )  # fmt: skip


@pytest.mark.parametrize("scenario", list(DIFFERENCES))
def test_documented_differences_are_exactly_these(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scenario: str
) -> None:
    inputs = golang_x509_inputs(tmp_path, scenario)
    ours, theirs, _why = DIFFERENCES[scenario]
    assert (our_verdict(inputs), in_toto_verdict(inputs, monkeypatch)) == (ours, theirs)
