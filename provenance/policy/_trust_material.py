"""`trust.advisories` and `trust.tuf`: the trust material a policy pins besides Sigstore roots.

- `trust.advisories`: CSAF publishers and their OpenPGP keys (`vulndb import --policy`). When
  a `provider_metadata` file is named (the publisher's CSAF provider-metadata.json, copied
  from a source the site trusts), its `publisher.namespace` must be the entry's publisher and
  the key's fingerprint must be among its `public_openpgp_keys`: the pin is then the
  publisher's own statement, not only the operator's copy of a key.
- `trust.tuf.max_staleness_days`: how long past expiry an offline site accepts a carried-in
  Sigstore TUF snapshot (`trust import --policy`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from provenance.errors import InputError
from provenance.evidence.json_input import MalformedJson, load_json
from provenance.inputs.files import read_bounded
from provenance.vulnerabilities.advisory_signatures import AdvisoryPublisher

__all__ = ["MAX_PROVIDER_METADATA_BYTES", "advisory_publishers", "tuf_max_staleness_days"]

# A provider-metadata.json lists a few distribution URLs and keys: kilobytes.
MAX_PROVIDER_METADATA_BYTES = 1024 * 1024

JsonPath = tuple[str | int, ...]
Report = Callable[[JsonPath, str], None]


def tuf_max_staleness_days(trust: Any) -> int | None:
    """The schema has checked the shape."""
    tuf = trust.get("tuf") if isinstance(trust, dict) else None
    days = tuf.get("max_staleness_days") if isinstance(tuf, dict) else None
    return days if isinstance(days, int) and not isinstance(days, bool) else None


def advisory_publishers(trust: Any, base: Path, error: Report) -> tuple[AdvisoryPublisher, ...]:
    """The pinned CSAF publishers; problems reported through `error` (policy errors)."""
    from provenance.verification.openpgp import load_openpgp_signer  # noqa: PLC0415

    entries = trust.get("advisories") if isinstance(trust, dict) else None
    if not isinstance(entries, list):
        return ()
    found: list[AdvisoryPublisher] = []
    for index, entry in enumerate(entries):
        at: JsonPath = ("trust", "advisories", index)
        if not isinstance(entry, dict) or not isinstance(entry.get("openpgp"), str):
            continue
        namespace = str(entry.get("publisher", "")).rstrip("/")
        if namespace in (p.namespace for p in found):
            error((*at, "publisher"), f"publisher {namespace} is pinned twice; expected once")
            continue
        try:
            signer = load_openpgp_signer(base / entry["openpgp"])
        except InputError as exc:
            error((*at, "openpgp"), str(exc))
            continue
        metadata = entry.get("provider_metadata")
        if isinstance(metadata, str):
            problem = _provider_metadata_problem(base / metadata, namespace, signer.fingerprints)
            if problem is not None:
                error((*at, "provider_metadata"), problem)
                continue
        found.append(AdvisoryPublisher(namespace, signer, f"trust.advisories[{index}]"))
    return tuple(found)


def _provider_metadata_problem(
    path: Path, namespace: str, fingerprints: tuple[str, ...]
) -> str | None:
    try:
        document = _read_provider_metadata(path)
    except InputError as exc:
        return str(exc)
    publisher = document.get("publisher")
    stated = publisher.get("namespace") if isinstance(publisher, dict) else None
    if not isinstance(stated, str) or stated.rstrip("/") != namespace:
        return f"{path}: expected publisher.namespace {namespace}, got {stated!r}"
    keys = document.get("public_openpgp_keys")
    listed: set[str] = set()
    for key in keys if isinstance(keys, list) else ():
        if isinstance(key, dict) and isinstance(key.get("fingerprint"), str):
            listed.add(key["fingerprint"].replace(" ", "").upper())
    if not listed:
        return f"{path}: lists no public_openpgp_keys fingerprints; expected the publisher's"
    unlisted = [fpr for fpr in fingerprints if fpr not in listed]
    if unlisted:
        return (
            f"expected the key's fingerprint among {path.name}'s public_openpgp_keys "
            f"({', '.join(sorted(listed))}), got {', '.join(unlisted)}"
        )
    return None


def _read_provider_metadata(path: Path) -> dict[str, Any]:
    data = read_bounded(path, MAX_PROVIDER_METADATA_BYTES, "CSAF provider metadata")
    if data is None:
        raise InputError(f"{path}: larger than {MAX_PROVIDER_METADATA_BYTES} bytes")
    try:
        document = load_json(data)
    except MalformedJson as exc:
        raise InputError(f"{path}: not JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise InputError(f"{path}: expected a JSON object")
    return document
