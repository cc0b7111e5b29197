"""Trust root files: what a site writes by hand is checked as strictly as evidence."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest

from provenance.errors import TrustRootError
from provenance.testing import PrivateSigstoreInstance
from provenance.verification.sigstore.trust_root import parse_trust_root


def load(document: dict[str, Any]) -> None:
    parse_trust_root(json.dumps(document).encode(), "site-root.json")


def test_a_repeated_log_id_is_refused(instance: PrivateSigstoreInstance) -> None:
    root = instance.trusted_root()
    root["tlogs"].append(copy.deepcopy(root["tlogs"][0]))
    with pytest.raises(TrustRootError, match=r"transparency log ID [0-9a-f]+ appears twice"):
        load(root)


def test_a_validity_time_without_zone_is_refused(instance: PrivateSigstoreInstance) -> None:
    root = instance.trusted_root()
    root["tlogs"][0]["publicKey"]["validFor"]["start"] = "2020-01-01T00:00:00"
    with pytest.raises(TrustRootError, match="has no time zone; expected RFC 3339"):
        load(root)


def test_a_key_of_an_unknown_algorithm_is_refused(instance: PrivateSigstoreInstance) -> None:
    root = instance.trusted_root()
    spki = base64.b64decode(root["ctlogs"][0]["publicKey"]["rawBytes"])
    # id-ecPublicKey (1.2.840.10045.2.1) turned into an OID no library knows.
    unknown = spki.replace(bytes.fromhex("06072a8648ce3d0201"), bytes.fromhex("06072a8648ce3d0209"))
    root["ctlogs"][0]["publicKey"]["rawBytes"] = base64.b64encode(unknown).decode()
    with pytest.raises(TrustRootError, match="public key is not DER SubjectPublicKeyInfo"):
        load(root)
