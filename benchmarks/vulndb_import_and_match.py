"""Import every OSV record in ../shared/vulndata plus KEV and CSAF, then match a generated
50,000-component SBOM, against a straightforward per-component scan, in one run.

1. Import `osv/` (PYSEC YAML, Go, RustSec; the schema's deliberately invalid linter records
   are refused and counted), `kev/known_exploited_vulnerabilities.json` and `csaf/cisa-ot`
   into a fresh state directory: wall time and database size.
2. Generate components (seeded): a third each PyPI, Go and cargo purls; --known-share
   (default 10 %) name a package some record names, half of them at an affected version and
   half at a fixed one; the rest name packages no record names. Known packages are drawn per
   record entry, so packages with many records (tensorflow, Go stdlib, mattermost) dominate:
   each such component is evaluated against hundreds of records.
3. Ours: `VulnDatabase.match` (indexed lookup by ecosystem and package key), on a fresh
   connection each round (nothing cached). Target < 1 s.
4. Reference: the baseline a reviewer writes first: the same parsed records in a list, and
   for each component a scan of every record's entries comparing ecosystem and name, then
   the same range evaluation. It is linear in components, so it runs on the first 500 and
   is scaled to the full count. Rounds alternate ours and the reference.
The ratio is reference / ours (times faster).
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.harness import Context, Row, Stat, ratio_text, seconds
from provenance.vulnerabilities.database import database_path, open_database
from provenance.vulnerabilities.importer import import_paths
from provenance.vulnerabilities.matching import ComponentRef
from provenance.vulnerabilities.osv_ranges import Outcome, evaluate
from provenance.vulnerabilities.osv_records import OsvRecord
from provenance.vulnerabilities.packages import package_from_purl

REPO = Path(__file__).resolve().parents[1]
VULNDATA = REPO.parent / "shared/vulndata"
COMPONENTS, REFERENCE_COMPONENTS, SEED, KNOWN_SHARE = 50_000, 500, 1, 0.1
ROUNDS = 3
TARGET = 1.0

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


def benchmark(context: Context) -> list[Row]:
    if not (VULNDATA / "osv").is_dir():
        return [Row(f"vulnerability match: {VULNDATA} has no osv/ (skipped)", "", "", "", "", None)]
    state = context.folder("vulndb") / "state"
    # 1. Import.
    start = time.perf_counter()
    result = import_paths(
        [
            VULNDATA / "osv",
            VULNDATA / "kev/known_exploited_vulnerabilities.json",
            VULNDATA / "csaf/cisa-ot",
        ],
        state_dir=state,
        now=NOW,
    )
    import_seconds = time.perf_counter() - start
    size_mb = database_path(state).stat().st_size / 1e6
    with open_database(state, now=NOW) as db:
        records = [
            record
            for row in db._rows("SELECT id FROM records WHERE withdrawn IS NULL ORDER BY id")
            if (record := db.record(row[0])) is not None
        ]
    components = _components(records, COMPONENTS, SEED, KNOWN_SHARE)
    sample = components[:REFERENCE_COMPONENTS]
    scale = len(components) / len(sample)
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(ROUNDS):
        # 3. Ours: a fresh connection's first match (nothing cached).
        with open_database(state, now=NOW) as db:
            start = time.process_time()
            matched = db.match(components)
            ours.append(time.process_time() - start)
        # 4. The reference, on the sample, scaled.
        start = time.process_time()
        reference_found = _reference(records, sample)
        theirs.append((time.process_time() - start) * scale)
    vulnerable = len(matched.findings)
    total = sum(len(finding.matches) for finding in matched.findings)
    in_sample = {id(component) for component in sample}
    ours_in_sample = sum(len(f.matches) for f in matched.findings if id(f.component) in in_sample)
    agree = "agree" if ours_in_sample == reference_found else "DISAGREE"
    return [
        Row(
            f"vulnerability database import: {result.total('osv:added'):,} OSV, "
            f"{result.total('kev:added'):,} KEV, {result.total('csaf:added'):,} CSAF documents "
            f"({len(result.refused)} invalid refused), database {size_mb:.1f} MB, wall",
            seconds(import_seconds),
            "",
            "",
            "",
            None,
        ),
        Row(
            f"vulnerability match of {len(components):,} components ({total:,} matches on "
            f"{vulnerable:,}), CPU, {ROUNDS} rounds; reference: a per-component scan of every "
            f"record, run on {len(sample)} and scaled (both {agree} on them: "
            f"{reference_found} matches); ratio: times faster",
            Stat.of(ours).seconds(),
            Stat.of(theirs).seconds(),
            ratio_text([b / a for a, b in zip(ours, theirs, strict=True)], 0, "x"),
            f"< {TARGET:.0f} s CPU",
            statistics.median(ours) < TARGET,
        ),
    ]
