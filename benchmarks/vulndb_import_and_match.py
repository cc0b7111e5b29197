"""Import every OSV record in ../shared/vulndata plus KEV and CSAF, then match a generated
50,000-component SBOM, against a straightforward per-component scan, in one run.

    python benchmarks/vulndb_import_and_match.py [--vulndata ../shared/vulndata]
        [--components 50000] [--reference-components 500] [--seed 1]

1. Import `osv/` (PYSEC YAML, Go, RustSec; the schema's deliberately invalid linter records
   are refused and counted), `kev/known_exploited_vulnerabilities.json` and `csaf/cisa-ot`
   into a fresh state directory: wall time and database size.
2. Generate components (seeded): a third each PyPI, Go and cargo purls; --known-share
   (default 10 %) name a package some record names, half of them at an affected version and
   half at a fixed one; the rest name packages no record names. Known packages are drawn per
   record entry, so packages with many records (tensorflow, Go stdlib, mattermost) dominate:
   each such component is evaluated against hundreds of records.
3. Ours: `VulnDatabase.match` (indexed lookup by ecosystem and package key). Target < 2 s.
4. Reference: the baseline a reviewer writes first: the same parsed records in a list, and
   for each component a scan of every record's entries comparing ecosystem and name, then
   the same range evaluation. It is linear in components, so it runs on the first
   --reference-components and is scaled to the full count (printed as such); pass
   --reference-components 50000 to run it whole (minutes).
The ratio printed is reference / ours.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from provenance.vulnerabilities.database import database_path, open_database  # noqa: E402
from provenance.vulnerabilities.importer import import_paths  # noqa: E402
from provenance.vulnerabilities.matching import ComponentRef  # noqa: E402
from provenance.vulnerabilities.osv_ranges import Outcome, evaluate  # noqa: E402
from provenance.vulnerabilities.osv_records import OsvRecord  # noqa: E402
from provenance.vulnerabilities.packages import package_from_purl  # noqa: E402

NOW = datetime.now(UTC)
_PURL_TYPES = {"PyPI": "pypi", "Go": "golang", "crates.io": "cargo"}


def _components(
    records: list[OsvRecord], count: int, seed: int, known_share: float = 0.1
) -> list[ComponentRef]:
    rng = random.Random(seed)
    known: list[tuple[str, str, list[str], list[str]]] = []
    for record in records:
        for entry in record.affected:
            if entry.base_ecosystem not in _PURL_TYPES:
                continue
            bad = list(entry.versions) + [
                e.value
                for r in entry.ranges
                for e in r.events
                if r.type != "GIT" and e.kind == "introduced" and e.value != "0"
            ]
            good = [
                e.value
                for r in entry.ranges
                for e in r.events
                if r.type != "GIT" and e.kind == "fixed"
            ]
            if bad or good:
                known.append((entry.base_ecosystem, entry.name, bad, good))
    made: list[ComponentRef] = []
    for number in range(count):
        ecosystem = ("PyPI", "Go", "crates.io")[number % 3]
        roll = rng.random()
        if roll < known_share:
            eco, name, bad, good = rng.choice(known)
            versions = bad if (roll < known_share / 2 and bad) or not good else good
            version, ecosystem = rng.choice(versions), eco
        else:
            name = f"example-{ecosystem.lower()}-package-{number}"
            if ecosystem == "Go":
                name = f"example.org/team{number % 97}/module{number}"
            version = f"{rng.randint(0, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 20)}"
        if ecosystem == "Go":
            version = "v" + version.removeprefix("v")
        made.append(ComponentRef(name, version, f"pkg:{_PURL_TYPES[ecosystem]}/{name}@{version}"))
    return made


def _reference(records: list[OsvRecord], components: list[ComponentRef]) -> int:
    found = 0
    for component in components:
        package = package_from_purl(component.purl or "")
        if package is None:
            continue
        for record in records:
            hit = any(
                entry.base_ecosystem == package.ecosystem
                and entry.package_key == package.key
                and evaluate(entry, package.version).outcome is not Outcome.NOT_AFFECTED
                for entry in record.affected
            )
            found += hit
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vulndata", type=Path, default=REPO.parent / "shared/vulndata")
    parser.add_argument("--components", type=int, default=50_000)
    parser.add_argument("--reference-components", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--known-share",
        type=float,
        default=0.1,
        help="share of components naming a package some record names (half at an affected "
        "version, half at a fixed one); the rest name packages no record names",
    )
    args = parser.parse_args()
    data: Path = args.vulndata
    if not (data / "osv").is_dir():
        sys.exit(f"{data}: no osv/ folder; pass --vulndata")
    with tempfile.TemporaryDirectory() as scratch:
        state = Path(scratch) / "state"
        # 1. Import.
        start = time.perf_counter()
        result = import_paths(
            [
                data / "osv",
                data / "kev/known_exploited_vulnerabilities.json",
                data / "csaf/cisa-ot",
            ],
            state_dir=state,
            now=NOW,
        )
        import_seconds = time.perf_counter() - start
        size_mb = database_path(state).stat().st_size / 1e6
        print(
            f"import: {import_seconds:.1f} s, database {size_mb:.1f} MB; OSV added "
            f"{result.total('osv:added')}, KEV {result.total('kev:added')}, CSAF "
            f"{result.total('csaf:added')}, refused {len(result.refused)} (the OSV schema's "
            "invalid test records and non-OSV test files)"
        )
        with open_database(state, now=NOW) as db:
            records = [
                record
                for row in db._rows("SELECT id FROM records WHERE withdrawn IS NULL ORDER BY id")
                if (record := db.record(row[0])) is not None
            ]
            components = _components(records, args.components, args.seed, args.known_share)
            # 3. Ours (a fresh connection's first match: nothing cached).
            start = time.perf_counter()
            matched = db.match(components)
            ours = time.perf_counter() - start
        vulnerable = len(matched.findings)
        total = sum(len(finding.matches) for finding in matched.findings)
        print(f"ours: {total} matches on {vulnerable} components", flush=True)
        # 4. Reference.
        sample = components[: args.reference_components]
        start = time.perf_counter()
        reference_found = _reference(records, sample)
        reference = (time.perf_counter() - start) * len(components) / max(len(sample), 1)
        in_sample = {id(component) for component in sample}
        ours_in_sample = sum(
            len(f.matches) for f in matched.findings if id(f.component) in in_sample
        )
        scaled = (
            ""
            if len(sample) == len(components)
            else (f" (ran {len(sample)}, scaled x{len(components) / len(sample):.0f})")
        )
        print(
            f"{'components':>10} {'vulnerable':>10} {'ours s':>8} {'reference s':>12} {'ratio':>7}"
        )
        print(
            f"{len(components):>10} {vulnerable:>10} {ours:>8.3f} {reference:>12.1f} "
            f"{reference / ours:>7.0f}{scaled}"
        )
        print(
            f"agreement on the reference sample: ours {ours_in_sample} (component, record) "
            f"matches, reference {reference_found}"
        )
        print(f"target < 2 s: {'met' if ours < 2 else 'NOT met'}")


if __name__ == "__main__":
    main()
