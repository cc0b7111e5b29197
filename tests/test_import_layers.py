"""The pipeline of DESIGN.md, enforced: a module imports only from its own stage or an
earlier one, and product code never imports `provenance.testing`.

    foundation -> inputs -> evidence -> facts -> verification -> signing -> vulnerabilities
      -> policy -> decision -> record -> commands -> report -> CLI

Every import counts, at module level or inside a function (lazy imports keep `--help` fast;
they are still dependencies) and under TYPE_CHECKING (a type is a dependency too). Facts sit
before verification because they are the vocabulary verification produces; transparency
(Merkle trees, checkpoints) belongs to verification; signing (what the site signs) comes
after it. docs/architecture.md draws the same stages.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "provenance"

STAGES: tuple[tuple[str, frozenset[str]], ...] = (
    ("foundation", frozenset({"errors", "clock", "steps", "gc_pause", "sqlite_codes",
                              "file_modes", "scales"})),
    ("inputs", frozenset({"inputs"})),
    ("evidence", frozenset({"evidence"})),
    ("facts", frozenset({"facts"})),
    ("verification", frozenset({"verification", "transparency"})),
    ("signing", frozenset({"signing"})),
    ("vulnerabilities", frozenset({"vulnerabilities"})),
    ("policy", frozenset({"policy"})),
    ("decision", frozenset({"decision"})),
    ("record", frozenset({"record"})),
    ("commands", frozenset({"commands", "api"})),
    ("report", frozenset({"report"})),
    ("cli", frozenset({"_cli", "__main__"})),
)  # fmt: skip
_RANK = {part: rank for rank, (_, parts) in enumerate(STAGES) for part in parts}
_NAMES = {rank: name for rank, (name, _) in enumerate(STAGES)}


def _part(module: str) -> str | None:
    """`provenance.verification.x509.path` -> "verification"; outside the package: None."""
    parts = module.split(".")
    if parts[0] != "provenance":
        return None
    return parts[1] if len(parts) > 1 else ""


def _module_of(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> Iterator[tuple[int, str, tuple[str, ...]]]:
    """(line, module imported, names imported from it) for every absolute import."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module, tuple(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, ()


def violations() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_of(path)
        part = _part(module)
        if part in ("", "testing"):
            continue  # the package's lazy face, and the test helpers themselves
        rank = _RANK.get(part or "")
        assert rank is not None, f"{module}: no stage; add its package to STAGES"
        for line, imported, names in _imports(path):
            target = _part(imported)
            if target is None:
                continue
            where = f"{path.relative_to(PACKAGE.parent)}:{line}: imports {imported}"
            if target == "testing":
                found.append(f"{where}: product code never imports the test helpers")
            elif target == "":
                if set(names) - {"__version__"}:
                    found.append(f"{where}: the package's face (use the module itself)")
            elif _RANK[target] > rank:
                found.append(
                    f"{where}: {_NAMES[rank]} imports from a later stage, {_NAMES[_RANK[target]]}"
                )
    return found


def test_no_module_imports_from_a_later_stage() -> None:
    assert violations() == []


def test_every_package_has_a_stage() -> None:
    packages = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    modules = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
    assert (packages | modules) - set(_RANK) == {"testing"}


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        ("evidence", "from provenance.verification.signers import PublicKeySigner",
         "evidence imports from a later stage, verification"),
        ("policy", "def f():\n    from provenance.decision.rules import Rule",
         "policy imports from a later stage, decision"),
        ("commands", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
         "    from provenance.report.lines import one_line", "commands imports from a later"),
        ("record", "from provenance.testing import PrivateSigstoreInstance",
         "product code never imports the test helpers"),
        ("report", "from provenance import verify", "the package's face"),
    ],
)  # fmt: skip
def test_the_check_bites(
    module: str, source: str, expected: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The scan above is only worth something if it flags each kind of edge."""
    fake = tmp_path / "provenance"
    (fake / module).mkdir(parents=True)
    (fake / module / "__init__.py").write_text("")
    (fake / module / "probe.py").write_text(source + "\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["PACKAGE"]), "PACKAGE", fake)
    (found,) = violations()
    assert expected in found
