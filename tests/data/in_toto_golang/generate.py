"""Write the in-toto-golang-shaped supply chain the tests verify (`generated/`).

    python tests/data/in_toto_golang/generate.py [--out DIR] [--check]

Every key derives from SEED and every date is fixed (ECDSA with RFC 6979 nonces), so the
output is byte-identical each run; `tests/test_in_toto_golang.py` regenerates it and compares.
The chain is in-toto-golang's demo shape: `write-code` by an Ed25519 functionary the layout
lists; `package` by whoever holds a certificate for `package.example.com`
(`spiffe://example.com/package`) under the layout's `rootcas`/`intermediatecas`, as
`in-toto run -c CERT -k KEY` signs; an `untar` inspection; the layout signed by an ECDSA
P-256 owner whose public key is `owner.pub`.
"""

from __future__ import annotations

import argparse
import gzip
import io
import sys
import tarfile
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `provenance` importable from the repo
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from provenance.testing.in_toto import derive_signer
from provenance.testing.in_toto_golang import (
    FunctionaryPki,
    GolangSigner,
    ca_entry,
    golang_constraint,
    golang_dump,
    golang_inspection,
    golang_layout,
    golang_link,
    golang_metablock,
    golang_step,
)

SEED = "provenance tests: in-toto-golang"
HERE = Path(__file__).parent / "generated"
FOO_PY = b"print('hello from in-toto-golang')\n"
PACKAGE_COMMAND = ["tar", "zcvf", "foo.tar.gz", "foo.py"]


def tarball() -> bytes:
    """foo.tar.gz holding foo.py, byte-stable: fixed metadata, gzip without compression."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo("foo.py")
        info.size, info.mtime, info.mode = len(FOO_PY), 0, 0o644
        tar.addfile(info, io.BytesIO(FOO_PY))
    packed = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=packed, mtime=0, compresslevel=0) as gz:
        gz.write(raw.getvalue())
    return packed.getvalue()


PKI = FunctionaryPki.create(SEED)
OWNER = GolangSigner(derive_signer(SEED, "layout owner", kind="p256"))
CODER = GolangSigner(derive_signer(SEED, "write-code functionary"))
PACKAGER = PKI.functionary("package")
ROOT_ID = ca_entry(PKI.root.certificate)[0]


def package_constraint() -> dict[str, object]:
    return golang_constraint(
        common_name=f"package.{PKI.domain}",
        organizations=[PKI.organization],
        roots=[ROOT_ID],
        uris=[f"spiffe://{PKI.domain}/package"],
    )


def layout() -> dict[str, object]:
    """The layout's `signed` part."""
    steps = [
        golang_step(
            "write-code", [CODER.keyid], products=[["CREATE", "foo.py"], ["DISALLOW", "*"]]
        ),
        golang_step(
            "package",
            [],
            command=PACKAGE_COMMAND,
            materials=[
                ["MATCH", "foo.py", "WITH", "PRODUCTS", "FROM", "write-code"],
                ["DISALLOW", "*"],
            ],
            products=[["CREATE", "foo.tar.gz"], ["DISALLOW", "*"]],
            cert_constraints=[package_constraint()],
        ),
    ]
    untar = golang_inspection(
        "untar",
        ["tar", "xfz", "foo.tar.gz"],
        materials=[
            ["MATCH", "foo.tar.gz", "WITH", "PRODUCTS", "FROM", "package"],
            ["DISALLOW", "foo.tar.gz"],
        ],
        products=[
            ["MATCH", "foo.py", "WITH", "PRODUCTS", "FROM", "write-code"],
            ["DISALLOW", "foo.py"],
        ],
    )
    return golang_layout(
        steps=steps,
        keys=[CODER.key],
        inspect=[untar],
        root_cas=[PKI.root.certificate],
        intermediate_cas=[PKI.intermediate.certificate],
    )


def write_code_link() -> dict[str, object]:
    return golang_link("write-code", products={"foo.py": FOO_PY})


def package_link() -> dict[str, object]:
    return golang_link(
        "package",
        materials={"foo.py": FOO_PY},
        products={"foo.tar.gz": tarball()},
        command=PACKAGE_COMMAND,
        byproducts={"return-value": 0, "stderr": "", "stdout": "foo.py\n"},
    )


def files() -> dict[str, bytes]:
    return {
        "root.layout": golang_dump(golang_metablock(layout(), [OWNER])),
        f"write-code.{CODER.keyid[:8]}.link": golang_dump(
            golang_metablock(write_code_link(), [CODER])
        ),
        f"package.{PACKAGER.keyid[:8]}.link": golang_dump(
            golang_metablock(package_link(), [PACKAGER])
        ),
        "owner.pub": OWNER.public_pem,
        "foo.tar.gz": tarball(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument("--check", action="store_true", help="compare with --out, write nothing")
    args = parser.parse_args()
    out: Path = args.out
    wanted = files()
    if args.check:
        stale = sorted(
            name
            for name, data in wanted.items()
            if not (out / name).is_file() or (out / name).read_bytes() != data
        )
        extra = (
            sorted(p.name for p in out.iterdir() if p.name not in wanted) if out.is_dir() else []
        )
        for name in stale + extra:
            print(f"{out / name}: {'stale' if name in stale else 'not generated'}", file=sys.stderr)
        return 1 if stale or extra else 0
    out.mkdir(parents=True, exist_ok=True)
    for name, data in wanted.items():
        (out / name).write_bytes(data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
