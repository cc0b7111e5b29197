"""Small OSV/KEV/CSAF documents for the vulndb tests."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

MODIFIED = "2026-01-10T00:00:00Z"


def affected(
    name: str,
    *events: dict[str, str],
    ecosystem: str = "PyPI",
    range_type: str = "ECOSYSTEM",
    versions: list[str] | None = None,
) -> dict[str, Any]:
    entry: dict[str, Any] = {"package": {"ecosystem": ecosystem, "name": name}}
    if events:
        entry["ranges"] = [{"type": range_type, "events": list(events)}]
    if versions is not None:
        entry["versions"] = versions
    return entry


def osv(
    record_id: str, *entries: dict[str, Any], modified: str = MODIFIED, **extra: Any
) -> dict[str, Any]:
    document: dict[str, Any] = {"id": record_id, "modified": modified, "affected": list(entries)}
    document.update(extra)
    return document


def write_json(path: Path, document: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document))
    return path


def kev(*cves: str) -> dict[str, Any]:
    return {
        "title": "CISA Catalog of Known Exploited Vulnerabilities",
        "catalogVersion": "2026.01.10",
        "dateReleased": "2026-01-10T12:00:00Z",
        "count": len(cves),
        "vulnerabilities": [
            {"cveID": cve, "vendorProject": "ACME", "product": "PLC"} for cve in cves
        ],
    }


def csaf(tracking_id: str, *cves: str, released: str = "2026-01-05T00:00:00Z") -> dict[str, Any]:
    # The smallest document CSAF 2.0's mandatory tests accept (the importer reads it whole).
    return {
        "document": {
            "category": "csaf_security_advisory",
            "csaf_version": "2.0",
            "publisher": {
                "category": "coordinator",
                "name": "Test CERT",
                "namespace": "https://cert.example",
            },
            "title": f"advisory {tracking_id}",
            "tracking": {
                "id": tracking_id,
                "status": "final",
                "version": "1",
                "revision_history": [{"date": released, "number": "1", "summary": "first"}],
                "initial_release_date": released,
                "current_release_date": released,
            },
        },
        "product_tree": {
            "branches": [
                {
                    "category": "vendor",
                    "name": "Example",
                    "branches": [
                        {
                            "category": "product_name",
                            "name": "Gateway",
                            "product": {"name": "Example Gateway", "product_id": "P1"},
                        }
                    ],
                }
            ]
        },
        "vulnerabilities": [
            {"cve": cve, "product_status": {"known_affected": ["P1"]}} for cve in cves
        ],
    }


def write_csaf(path: Path, document: Any, *, digest: str | None = None) -> Path:
    write_json(path, document)
    value = digest or hashlib.sha512(path.read_bytes()).hexdigest()
    path.with_name(path.name + ".sha512").write_text(f"{value}  {path.name}\n")
    return path
