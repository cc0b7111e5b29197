"""npm registry attestations minted by the private test instance, in the registry's format.

`NpmRegistry` stands in for registry.npmjs.org's signing key (and its `/-/npm/v1/keys`
document); `mint_npm_attestations` returns what `GET /-/npm/v1/attestations/NAME@VERSION`
serves: a publish attestation (in-toto v0.1, signed by the registry key, logged as intoto
0.0.2, bundle v0.2 with a key hint) and, when a builder is given, SLSA v1 provenance (in-toto
v1, signed keylessly by the CI run's identity, logged as intoto 0.0.2, bundle v0.2 with a
certificate chain), as slsa-verifier's and npm's own test data have them.

Test-only: used to mint evidence for hermetic tests, never by verification.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from provenance.testing.bundles import BundleMediaType
from provenance.testing.instance import PrivateSigstoreInstance
from provenance.testing.keys import derive_ec_key, spki_der
from provenance.testing.pep740 import GitHubWorkflowRun

__all__ = [
    "NPM_PUBLISH_V01",
    "SLSA_PROVENANCE_V1",
    "NpmRegistry",
    "attestations_json",
    "mint_npm_attestations",
    "npm_purl",
]

NPM_PUBLISH_V01 = "https://github.com/npm/attestation/tree/main/specs/publish/v0.1"
SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1"
_BUNDLE_V02: BundleMediaType = "application/vnd.dev.sigstore.bundle+json;version=0.2"
_KEY_SCHEME = "ecdsa-sha2-nistp256"


@dataclass(frozen=True)
class NpmRegistry:
    """A registry signing key derived from `seed`."""

    seed: str

    @property
    def key(self) -> ec.EllipticCurvePrivateKey:
        return derive_ec_key(self.seed, "npm registry signing key")

    @property
    def keyid(self) -> str:
        """npm's keyid: the key's OpenSSH SHA-256 fingerprint."""
        blob = self.key.public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        )
        digest = hashlib.sha256(base64.b64decode(blob.split()[1])).digest()
        return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")

    def keys_document(self, expires: str | None = None) -> dict[str, Any]:
        """What `/-/npm/v1/keys` serves for this one key."""
        return {
            "keys": [
                {
                    "expires": expires,
                    "keyid": self.keyid,
                    "keytype": _KEY_SCHEME,
                    "scheme": _KEY_SCHEME,
                    "key": base64.b64encode(spki_der(self.key.public_key())).decode(),
                }
            ]
        }


def npm_purl(name: str, version: str) -> str:
    scoped = "%40" + name[1:] if name.startswith("@") else name
    return f"pkg:npm/{scoped}@{version}"


def mint_npm_attestations(
    instance: PrivateSigstoreInstance,
    tarball: bytes,
    *,
    name: str,
    version: str,
    registry: NpmRegistry,
    builder: GitHubWorkflowRun | None,
    signed_at: datetime,
    subject_name: str | None = None,
) -> dict[str, Any]:
    """The registry's attestations for NAME@VERSION with this tarball.

    `subject_name` overrides the purl both statements give (default: NAME@VERSION's)."""
    subject = [
        {
            "name": subject_name or npm_purl(name, version),
            "digest": {"sha512": hashlib.sha512(tarball).hexdigest()},
        }
    ]
    publish = instance.sign_dsse_with_key(
        {
            "_type": "https://in-toto.io/Statement/v0.1",
            "subject": subject,
            "predicateType": NPM_PUBLISH_V01,
            "predicate": {
                "name": name,
                "version": version,
                "registry": "https://registry.npmjs.org",
            },
        },
        registry.key,
        signed_at=signed_at,
        keyid=registry.keyid,
        media_type=_BUNDLE_V02,
        entry_kind="intoto",
    )
    attestations = [{"predicateType": NPM_PUBLISH_V01, "bundle": _as_served(publish)}]
    if builder is not None:
        provenance = instance.sign_dsse(
            {
                "_type": "https://in-toto.io/Statement/v1",
                "subject": subject,
                "predicateType": SLSA_PROVENANCE_V1,
                "predicate": _slsa_predicate(builder),
            },
            identity=builder.identity,
            issuer=builder.issuer,
            signed_at=signed_at,
            media_type=_BUNDLE_V02,
            entry_kind="intoto",
            claims=builder.claims(),
        )
        # The registry writes an empty keyid on keyless signatures.
        provenance["dsseEnvelope"]["signatures"][0]["keyid"] = ""
        attestations.append({"predicateType": SLSA_PROVENANCE_V1, "bundle": _as_served(provenance)})
    return {"attestations": attestations}


def attestations_json(document: dict[str, Any]) -> str:
    """Compact, as the registry serves it."""
    return json.dumps(document, separators=(",", ":"))


def _as_served(bundle: dict[str, Any]) -> dict[str, Any]:
    bundle["verificationMaterial"]["timestampVerificationData"] = {"rfc3161Timestamps": []}
    return bundle


def _slsa_predicate(builder: GitHubWorkflowRun) -> dict[str, Any]:
    """npm's provenance predicate for a GitHub Actions build (SLSA v1)."""
    repository = f"https://github.com/{builder.repository}"
    return {
        "buildDefinition": {
            "buildType": "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1",
            "externalParameters": {
                "workflow": {
                    "ref": builder.ref,
                    "repository": repository,
                    "path": f".github/workflows/{builder.workflow}",
                }
            },
            "internalParameters": {"github": {"event_name": "release"}},
            "resolvedDependencies": [
                {
                    "uri": f"git+{repository}@{builder.ref}",
                    "digest": {"gitCommit": builder.sha},
                }
            ],
        },
        "runDetails": {
            "builder": {"id": "https://github.com/actions/runner/github-hosted"},
            "metadata": {"invocationId": f"{repository}/actions/runs/1/attempts/1"},
        },
    }
