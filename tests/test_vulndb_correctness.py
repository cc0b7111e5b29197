"""The correctness bar: every PYSEC record in ../shared/vulndata/osv/pypi-subset, checked
against its own answer key.

Cases per `affected` entry (withdrawn records excluded):
- affected: every version in the entry's `versions` list, and every `introduced` (not "0")
  and `last_affected` version of its ECOSYSTEM ranges;
- not affected: every `fixed` and `limit` version of its ECOSYSTEM ranges.

Three runs: the matcher as used (list OR ranges, the OSV evaluation), the same through the
imported database as SBOM components, and the ranges alone (is our PEP 440 range evaluation
consistent with the lists upstream computed). Agreement must be
100 % except the entries below, each with the upstream reason; the sets must match exactly, so
a new disagreement (or a fixed one) fails the test.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest

from provenance.vulnerabilities.database import open_database
from provenance.vulnerabilities.importer import import_paths
from provenance.vulnerabilities.matching import ComponentRef
from provenance.vulnerabilities.osv_ranges import Outcome, compile_entry, evaluate
from provenance.vulnerabilities.osv_records import (
    Affected,
    OsvRecord,
    load_document,
    parse_record,
)
from tests.conftest import vulndata

_MULTIPLE_LAST_AFFECTED = (
    "one range holds introduced 3.0 then last_affected 3.1, 3.2, 3.3, 3.4, 3.5 with no "
    "introduced between them: by the OSV evaluation everything above 3.1 is not affected, so "
    "the later last_affected events (meant as 'affected up to 3.5') are unreachable"
)
_NOT_PEP440 = (
    "the versions list holds {versions}, which are not PEP 440: the range cannot order them, "
    "so range-only evaluation says 'undetermined' (the list itself still matches them)"
)

# Entries where the matcher (list OR ranges) disagrees with the answer key.
MATCHER_EXCEPTIONS: dict[tuple[str, int], str] = {
    ("PYSEC-2009-17", 0): _MULTIPLE_LAST_AFFECTED,
}

# Entries where the ranges alone disagree with the versions list.
RANGE_EXCEPTIONS: dict[tuple[str, int], str] = {
    ("PYSEC-2009-17", 0): _MULTIPLE_LAST_AFFECTED,
    ("PYSEC-2023-61", 0): (
        "versions lists the pre-releases 3.2a1, 3.2b1, 3.2rc1, 4.1a1, 4.1b1, 4.1rc1, 4.2a1, "
        "4.2b1, 4.2rc1 but the range starts at introduced 3.2 / 4.0 / 4.2, and PEP 440 orders "
        "a pre-release below its release (4.1 pre-releases fall between 4.0 and 4.1.9 and "
        "agree); the list is wider than the range"
    ),
    **{
        (record_id, 0): _NOT_PEP440.format(versions="'2.0.0-final'")
        for record_id in ("PYSEC-2006-1", "PYSEC-2008-3")
    },
    **{
        (record_id, 0): _NOT_PEP440.format(versions="'2.0.1rc2-git'")
        for record_id in (
            "PYSEC-2019-106",
            "PYSEC-2021-356",
            "PYSEC-2021-859",
            "PYSEC-2022-5",
            "PYSEC-2024-167",
            "PYSEC-2026-2078",
            "PYSEC-2026-2085",
            "PYSEC-2026-2235",
            "PYSEC-2026-2236",
            "PYSEC-2026-2237",
            "PYSEC-2026-597",
            "PYSEC-2026-96",
            "PYSEC-2026-97",
            "PYSEC-2026-98",
            "PYSEC-2026-99",
        )
    },
    **{
        (record_id, 0): _NOT_PEP440.format(versions="'0.1-bulbasaur', '0.9-doduo' and 6 more")
        for record_id in ("PYSEC-2008-8", "PYSEC-2018-19", "PYSEC-2022-166", "PYSEC-2026-2858")
    },
}


def _cases(entry: Affected) -> list[tuple[str, bool]]:
    cases = [(version, True) for version in entry.versions]
    for item in entry.ranges:
        if item.type != "ECOSYSTEM":
            continue
        for event in item.events:
            if event.kind in ("fixed", "limit"):
                cases.append((event.value, False))
            elif event.kind == "last_affected" or event.value != "0":
                cases.append((event.value, True))
    return cases


@pytest.fixture(scope="module")
def pysec() -> list[OsvRecord]:
    files = sorted(vulndata("osv/pypi-subset").glob("vulns/*/*.yaml"))
    assert len(files) > 1000
    records = [parse_record(load_document(path.read_bytes(), path.name)) for path in files]
    return [record for record in records if record.withdrawn is None]


def _run(records: list[OsvRecord], use_list: bool) -> tuple[Counter[bool], set[tuple[str, int]]]:
    tally: Counter[bool] = Counter()
    failing: set[tuple[str, int]] = set()
    for record in records:
        for entry in record.affected:
            compiled = compile_entry(entry)  # once per entry, as matching does
            for version, expected in _cases(entry):
                got = evaluate(compiled, version, use_list=use_list).outcome
                agrees = got is (Outcome.AFFECTED if expected else Outcome.NOT_AFFECTED)
                tally[agrees] += 1
                if not agrees:
                    failing.add((record.id, entry.index))
    return tally, failing


def test_matcher_agrees_with_the_pysec_answer_key(pysec: list[OsvRecord]) -> None:
    tally, failing = _run(pysec, use_list=True)
    assert failing == set(MATCHER_EXCEPTIONS)
    assert tally[True] > 100_000
    assert tally[False] == 4


def test_ranges_alone_agree_with_the_versions_lists(pysec: list[OsvRecord]) -> None:
    tally, failing = _run(pysec, use_list=False)
    assert failing == set(RANGE_EXCEPTIONS)
    assert tally[False] == 59


def test_the_database_path_agrees_with_the_pysec_answer_key(
    pysec: list[OsvRecord], tmp_path: Path
) -> None:
    # The same cases, as SBOM components matched through the imported database: stored
    # tables, listed versions left out where the tables cover them, the sweep.
    state = tmp_path / "state"
    now = datetime(2026, 11, 29, tzinfo=UTC)
    import_paths([vulndata("osv/pypi-subset")], state_dir=state, now=now)
    cases: list[tuple[str, int, bool]] = []
    components: list[ComponentRef] = []
    for record in pysec:
        for entry in record.affected:
            for version, expected in _cases(entry):
                purl = f"pkg:pypi/{quote(entry.name)}@{quote(version, safe='')}"
                components.append(ComponentRef(entry.name, version, purl))
                cases.append((record.id, entry.index, expected))
    with open_database(state, now=now) as db:
        result = db.match(components)
    found = {
        id(finding.component): {m.record_id for m in finding.matches if m.definite}
        for finding in result.findings
    }
    tally: Counter[bool] = Counter()
    failing: set[tuple[str, int]] = set()
    for component, (record_id, index, expected) in zip(components, cases, strict=True):
        agrees = (record_id in found.get(id(component), ())) is expected
        tally[agrees] += 1
        if not agrees:
            failing.add((record_id, index))
    assert failing == set(MATCHER_EXCEPTIONS)
    assert tally[True] > 100_000
    assert tally[False] == 4
