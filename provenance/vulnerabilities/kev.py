"""CISA Known Exploited Vulnerabilities (KEV): the catalog, read strictly.

`known_exploited_vulnerabilities.json` (schema: cisagov/kev-data) lists CVE ids that are
exploited in the wild, with text vendor and product names only (no purl, no CPE): the CVE id is
the only join key. Policy `known_exploited: deny` reads `KevEntry` for a finding's CVE.

Strict where it matters: a wrong type, a malformed CVE id or date, a repeated CVE id or a
`count` that disagrees with the list (a truncated file) refuse the whole catalog, since a
partial catalog would silently let exploited vulnerabilities pass. Fields the schema does not
name are ignored: CISA adds fields over time (`cwes` in 2023) without a schema version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from provenance.vulnerabilities._advisory_json import Fields, show

__all__ = ["MAX_KEV_ENTRIES", "KevCatalog", "KevEntry", "parse_kev", "parse_kev_catalog"]

# The catalog held 1,404 entries in August 2025 and grows by a few hundred a year.
MAX_KEV_ENTRIES = 100_000
MAX_KEV_CWES = 100
_CHECK = "kev"
_CVE = re.compile(r"CVE-[0-9]{4}-[0-9]{4,19}")
_CWE = re.compile(r"CWE-[0-9]+")
_RANSOMWARE = ("Known", "Unknown")


@dataclass(frozen=True, slots=True)
class KevEntry:
    cve: str  # "CVE-2025-48384"
    vendor: str  # vendorProject, free text ("Microsoft", "Siemens")
    product: str  # free text
    name: str  # vulnerabilityName
    date_added: date
    due_date: date  # the date federal agencies must have acted by (BOD 22-01)
    # "Known": used in ransomware campaigns; "Unknown": CISA lacks confirmation (also when the
    # field is absent: it is optional in the schema).
    known_ransomware_use: Literal["Known", "Unknown"]
    short_description: str
    required_action: str
    cwes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class KevCatalog:
    version: str  # catalogVersion, "2025.08.25"
    released: datetime  # dateReleased
    entries: dict[str, KevEntry]  # CVE id -> entry


def parse_kev(document: Any, source: str = "KEV catalog") -> dict[str, KevEntry]:
    """The catalog's entries by CVE id; `EvidenceError` naming the field if the shape is
    wrong."""
    return parse_kev_catalog(document, source).entries


def parse_kev_catalog(document: Any, source: str = "KEV catalog") -> KevCatalog:
    """The catalog with its version and release time; `EvidenceError` as `parse_kev`."""
    root = Fields(document, "", source, _CHECK)
    version = root.string("catalogVersion")
    released = root.date_time("dateReleased")
    count = root.required("count")
    items = root.array("vulnerabilities", limit=MAX_KEV_ENTRIES)
    if isinstance(count, bool) or not isinstance(count, int) or count != len(items):
        raise root.error(
            "count",
            f"expected the number of vulnerabilities listed ({len(items)}), got {show(count)}",
        )
    entries: dict[str, KevEntry] = {}
    for index, item in enumerate(items):
        entry = _entry(Fields(item, f"vulnerabilities[{index}]", source, _CHECK))
        if entry.cve in entries:
            raise root.error(
                f"vulnerabilities[{index}].cveID", f"expected each CVE once, got {entry.cve} again"
            )
        entries[entry.cve] = entry
    return KevCatalog(version=version, released=released, entries=entries)


def _entry(fields: Fields) -> KevEntry:
    cve = fields.string("cveID")
    if not _CVE.fullmatch(cve):
        raise fields.error(fields.path("cveID"), f"expected CVE-YYYY-NNNN, got {show(cve)}")
    ransomware = fields.optional_string("knownRansomwareCampaignUse") or "Unknown"
    if ransomware not in _RANSOMWARE:
        raise fields.error(
            fields.path("knownRansomwareCampaignUse"),
            f"expected Known or Unknown, got {show(ransomware)}",
        )
    cwes = fields.strings("cwes", limit=MAX_KEV_CWES)
    for position, cwe in enumerate(cwes):
        if not _CWE.fullmatch(cwe):
            raise fields.error(
                f"{fields.path('cwes')}[{position}]", f"expected CWE-N, got {show(cwe)}"
            )
    return KevEntry(
        cve=cve,
        vendor=fields.string("vendorProject"),
        product=fields.string("product"),
        name=fields.string("vulnerabilityName"),
        date_added=fields.iso_date("dateAdded"),
        due_date=fields.iso_date("dueDate"),
        known_ransomware_use="Known" if ransomware == "Known" else "Unknown",
        short_description=fields.string("shortDescription"),
        required_action=fields.string("requiredAction"),
        cwes=cwes,
    )
