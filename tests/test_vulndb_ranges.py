"""OSV records parsed strictly, and the range evaluation (events, lists, GIT, undetermined)."""

from __future__ import annotations

from typing import Any

import pytest

from provenance.vulnerabilities.osv_ranges import Outcome, evaluate
from provenance.vulnerabilities.osv_records import (
    Affected,
    InvalidRecord,
    load_document,
    parse_record,
)
from tests.vulndb_helpers import affected, osv


def entry(*events: dict[str, str], **kwargs: Any) -> Affected:
    return parse_record(osv("TEST-1", affected("pkg", *events, **kwargs))).affected[0]


def outcome(item: Affected, version: str | None, commit: str | None = None) -> str:
    return evaluate(item, version, commit).outcome.value


# -- parsing ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ([], "expected an OSV record (a JSON object), got a list"),
        ({"modified": "2026-01-01T00:00:00Z"}, "id: expected a non-empty string, got nothing"),
        ({"id": "X-1"}, "X-1: modified: expected an RFC 3339 timestamp, got nothing"),
        (
            {"id": "X-1", "modified": "yesterday"},
            "X-1: modified: expected an RFC 3339 timestamp, got 'yesterday'",
        ),
        (
            osv("X-1", affected("p", {"introduced": "0"}, range_type="SEMVERISH")),
            "X-1: affected[0]: ranges[0]: type: expected one of ECOSYSTEM, SEMVER, GIT, got "
            "'SEMVERISH'",
        ),
        (
            osv("X-1", affected("p", {"introduced": "0", "fixed": "1.0"})),
            "X-1: affected[0]: ranges[0]: events[0]: expected an object with exactly one of "
            "introduced, fixed, last_affected, limit, got ['fixed', 'introduced']",
        ),
        (
            osv("X-1", affected("p", {"fixed": "1.0"})),
            "X-1: affected[0]: ranges[0]: events: expected an 'introduced' event, got none",
        ),
        (
            osv("X-1", affected("p", {"introduced": "0"}, versions=[1.1])),  # type: ignore[list-item]
            "X-1: affected[0]: versions: expected strings, got a float 1.1",
        ),
        (
            osv("X-1", affected("p", {"introduced": "0"}, range_type="GIT")),
            "X-1: affected[0]: ranges[0]: repo: expected the repository of a GIT range, got none",
        ),
    ],
)
def test_invalid_records_are_refused_with_the_field(document: Any, reason: str) -> None:
    with pytest.raises(InvalidRecord) as raised:
        parse_record(document)
    assert str(raised.value) == reason


def test_missing_affected_is_accepted_and_matches_nothing() -> None:
    record = parse_record({"id": "X-1", "modified": "2026-01-01T00:00:00Z", "aliases": ["CVE-1"]})
    assert record.affected == ()


def test_yaml_unquoted_timestamps_and_versions() -> None:
    text = (
        b"id: PYSEC-1\nmodified: 2021-01-01T00:00:00Z\naffected:\n"
        b"- package: {name: p, ecosystem: PyPI}\n  versions: [1.10]\n"
    )
    with pytest.raises(InvalidRecord) as raised:
        parse_record(load_document(text, "PYSEC-1.yaml"))
    assert str(raised.value) == "PYSEC-1: affected[0]: versions: expected strings, got a float 1.1"
    record = parse_record(load_document(text.replace(b"[1.10]", b"['1.10']"), "x.yaml"))
    assert record.modified == "2021-01-01T00:00:00.000000Z"


def test_yaml_aliases_are_refused() -> None:
    text = b"id: X-1\nmodified: '2021-01-01T00:00:00Z'\na: &x [1, 2]\nb: *x\n"
    with pytest.raises(InvalidRecord) as raised:
        load_document(text, "x.yml")
    assert str(raised.value) == "expected YAML without anchors and aliases, got an alias"


def test_not_json() -> None:
    with pytest.raises(InvalidRecord) as raised:
        load_document(b"{", "x.json")
    assert str(raised.value).startswith("expected JSON, got ")


# -- evaluation ---------------------------------------------------------------------------


def test_introduced_fixed() -> None:
    item = entry({"introduced": "1.0"}, {"fixed": "1.5"})
    assert [outcome(item, v) for v in ("0.9", "1.0", "1.4.9", "1.5", "2.0")] == [
        "not-affected",
        "affected",
        "affected",
        "not-affected",
        "not-affected",
    ]


def test_introduced_zero_covers_pre_releases() -> None:
    item = entry({"introduced": "0"}, {"fixed": "1.0"})
    assert outcome(item, "0.0.0.dev3") == "affected"
    semver = entry(
        {"introduced": "0"}, {"fixed": "1.0.0"}, ecosystem="crates.io", range_type="SEMVER"
    )
    assert outcome(semver, "0.0.0-0") == "affected"


def test_last_affected_is_inclusive() -> None:
    item = entry({"introduced": "0"}, {"last_affected": "2.0"})
    assert [outcome(item, v) for v in ("2.0", "2.0.post1", "2.1")] == [
        "affected",
        "not-affected",
        "not-affected",
    ]


def test_several_intervals_in_one_range_unsorted() -> None:
    item = entry({"introduced": "2.0"}, {"fixed": "2.3"}, {"introduced": "1.0"}, {"fixed": "1.2"})
    assert [outcome(item, v) for v in ("0.5", "1.1", "1.2", "1.9", "2.0", "2.3")] == [
        "not-affected",
        "affected",
        "not-affected",
        "not-affected",
        "affected",
        "not-affected",
    ]


def test_no_fix_means_every_later_version() -> None:
    assert outcome(entry({"introduced": "3.0"}), "99.0") == "affected"


def test_limit() -> None:
    item = entry({"introduced": "1.0"}, {"limit": "2.0"})
    assert [outcome(item, v) for v in ("1.5", "2.0", "3.0")] == [
        "affected",
        "not-affected",
        "not-affected",
    ]
    assert outcome(entry({"introduced": "1.0"}, {"limit": "*"}), "9.0") == "affected"


def test_empty_interval_introduced_equals_fixed() -> None:
    assert outcome(entry({"introduced": "1.0"}, {"fixed": "1.0"}), "1.0") == "not-affected"


def test_versions_list_alone_and_pep440_spelling() -> None:
    item = entry(versions=["1.0", "1.1"])
    assert outcome(item, "1.0.0") == "affected"
    assert evaluate(item, "1.1").kind == "versions"
    assert outcome(item, "1.2") == "not-affected"


def test_unorderable_version_is_undetermined_never_not_affected() -> None:
    item = entry({"introduced": "0"}, {"fixed": "2.0"})
    verdict = evaluate(item, "0.1-bulbasaur")
    assert verdict.outcome is Outcome.UNDETERMINED
    assert verdict.detail == "ranges[0]: expected a PEP 440 version, got '0.1-bulbasaur'"
    bad_event = entry({"introduced": "0"}, {"fixed": "2.0-final-x"})
    assert evaluate(bad_event, "1.0").detail == (
        "ranges[0]: expected a PEP 440 version, got '2.0-final-x'"
    )


def test_no_version_and_no_information_are_undetermined() -> None:
    item = entry({"introduced": "0"}, {"fixed": "2.0"})
    assert evaluate(item, None).detail == (
        "ranges[0]: the component has no version to compare with the range"
    )
    bare = parse_record(osv("X-1", {"package": {"ecosystem": "PyPI", "name": "p"}})).affected[0]
    assert evaluate(bare, "1.0").detail == "the entry lists neither ranges nor versions"


def test_git_ranges_only_with_a_commit() -> None:
    document = osv(
        "X-1",
        {
            "package": {"ecosystem": "PyPI", "name": "p"},
            "ranges": [
                {
                    "type": "GIT",
                    "repo": "https://example.invalid/p",
                    "events": [{"introduced": "aaaa"}, {"fixed": "bbbb"}],
                }
            ],
        },
    )
    item = parse_record(document).affected[0]
    assert evaluate(item, "1.0").detail == (
        "only GIT ranges apply and the component carries no commit"
    )
    assert evaluate(item, "1.0", "AAAA").kind == "git-commit"
    assert outcome(item, "1.0", "bbbb") == "not-affected"
    assert outcome(item, "1.0", "cccc") == "undetermined"


def test_semver_ranges_for_go_with_v_prefix() -> None:
    item = entry({"introduced": "0"}, {"fixed": "1.6.0"}, ecosystem="Go", range_type="SEMVER")
    assert outcome(item, "v1.5.9") == "affected"
    assert outcome(item, "v1.6.0") == "not-affected"
    assert outcome(item, "v2.0.0+incompatible") == "not-affected"
