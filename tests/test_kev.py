"""CISA KEV: the real catalog parses; every wrong shape is refused naming the field."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from provenance.errors import EvidenceError
from provenance.evidence.json_input import load_json
from provenance.vulnerabilities.kev import parse_kev, parse_kev_catalog
from tests.conftest import vulndata

ENTRY: dict[str, Any] = {
    "cveID": "CVE-2016-8562",
    "vendorProject": "Siemens",
    "product": "SIMATIC CP",
    "vulnerabilityName": "Siemens SIMATIC CP 1543-1 Improper Privilege Management Vulnerability",
    "dateAdded": "2022-03-03",
    "shortDescription": "An improper privilege management vulnerability.",
    "requiredAction": "Apply updates per vendor instructions.",
    "dueDate": "2022-03-24",
    "knownRansomwareCampaignUse": "Known",
    "notes": "",
    "cwes": ["CWE-20"],
    "addedLater": "fields CISA adds later are ignored",
}
CATALOG: dict[str, Any] = {
    "title": "CISA Catalog of Known Exploited Vulnerabilities",
    "catalogVersion": "2025.08.25",
    "dateReleased": "2025-08-25T17:04:19.9796Z",
    "count": 1,
    "vulnerabilities": [ENTRY],
}


def test_real_catalog() -> None:
    path = vulndata("kev") / "known_exploited_vulnerabilities.json"
    catalog = parse_kev_catalog(load_json(path.read_bytes()), str(path))
    assert catalog.version == "2025.08.25"
    assert len(catalog.entries) == 1404
    entry = catalog.entries["CVE-2016-8562"]
    assert (entry.vendor, entry.product) == ("Siemens", "SIMATIC CP")
    assert entry.date_added == date(2022, 3, 3)
    known = sum(e.known_ransomware_use == "Known" for e in catalog.entries.values())
    assert known == 293


def test_entry_fields() -> None:
    entry = parse_kev(CATALOG)["CVE-2016-8562"]
    assert entry.known_ransomware_use == "Known"
    assert entry.due_date == date(2022, 3, 24)
    assert entry.cwes == ("CWE-20",)
    assert entry.name.startswith("Siemens SIMATIC CP 1543-1")


def test_ransomware_use_absent_is_unknown() -> None:
    document = copy.deepcopy(CATALOG)
    del document["vulnerabilities"][0]["knownRansomwareCampaignUse"]
    assert parse_kev(document)["CVE-2016-8562"].known_ransomware_use == "Unknown"


def _broken(change: Any) -> dict[str, Any]:
    document = copy.deepcopy(CATALOG)
    change(document)
    return document


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d.clear(),
            "kev.json: catalogVersion: expected a value, got none (field missing)",
        ),
        (
            lambda d: d.update(vulnerabilities={}),
            "kev.json: vulnerabilities: expected a list, got dict",
        ),
        (
            lambda d: d.update(count=2),
            "kev.json: count: expected the number of vulnerabilities listed (1), got 2",
        ),
        (
            lambda d: d.update(count="1"),
            "kev.json: count: expected the number of vulnerabilities listed (1), got '1'",
        ),
        (
            lambda d: d["vulnerabilities"][0].update(cveID="CVE-16-1"),
            "kev.json: vulnerabilities[0].cveID: expected CVE-YYYY-NNNN, got 'CVE-16-1'",
        ),
        (
            lambda d: d["vulnerabilities"][0].pop("product"),
            "kev.json: vulnerabilities[0].product: expected a value, got none (field missing)",
        ),
        (
            lambda d: d["vulnerabilities"][0].update(vendorProject=7),
            "kev.json: vulnerabilities[0].vendorProject: expected a non-empty string, got 7",
        ),
        (
            lambda d: d["vulnerabilities"][0].update(dateAdded="03/03/2022"),
            "kev.json: vulnerabilities[0].dateAdded: expected a date YYYY-MM-DD, got '03/03/2022'",
        ),
        (
            lambda d: d["vulnerabilities"][0].update(dueDate="2022-02-30"),
            "kev.json: vulnerabilities[0].dueDate: expected a date YYYY-MM-DD, got '2022-02-30'",
        ),
        (
            lambda d: d["vulnerabilities"][0].update(knownRansomwareCampaignUse="Yes"),
            "kev.json: vulnerabilities[0].knownRansomwareCampaignUse: expected Known or Unknown, "
            "got 'Yes'",
        ),
        (
            lambda d: d["vulnerabilities"][0].update(cwes=["NVD-CWE-Other"]),
            "kev.json: vulnerabilities[0].cwes[0]: expected CWE-N, got 'NVD-CWE-Other'",
        ),
        (
            lambda d: d["vulnerabilities"].__setitem__(0, "CVE-2016-8562"),
            "kev.json: vulnerabilities[0]: expected an object, got str",
        ),
        (
            lambda d: d.update(dateReleased="2025-08-25T17:04:19"),
            "kev.json: dateReleased: expected a time zone, got '2025-08-25T17:04:19'",
        ),
        (
            lambda d: d.update(
                count=2, vulnerabilities=[d["vulnerabilities"][0], d["vulnerabilities"][0]]
            ),
            "kev.json: vulnerabilities[1].cveID: expected each CVE once, got CVE-2016-8562 again",
        ),
    ],
)
def test_wrong_shape_is_refused_naming_the_field(change: Any, message: str) -> None:
    with pytest.raises(EvidenceError) as caught:
        parse_kev(_broken(change), "kev.json")
    assert str(caught.value) == message
    assert caught.value.check == "kev"


def test_not_an_object() -> None:
    with pytest.raises(EvidenceError, match=r"^kev.json: expected an object, got list$"):
        parse_kev([], "kev.json")


WRONG_VALUES: list[Any] = [None, 7, 1.5, True, "x", [], {}, ["CWE-1"]]


def test_any_field_of_any_type_is_parsed_or_refused_never_a_crash() -> None:
    messages: list[str] = []
    for key in (*CATALOG, *(f"entry.{k}" for k in ENTRY)):
        for wrong in WRONG_VALUES:
            document = copy.deepcopy(CATALOG)
            target = document["vulnerabilities"][0] if key.startswith("entry.") else document
            target[key.removeprefix("entry.")] = wrong
            try:
                parse_kev(document, "kev.json")
            except EvidenceError as exc:
                messages.append(str(exc))
    assert messages
    assert all(m.startswith("kev.json: ") and "\n" not in m for m in messages)
