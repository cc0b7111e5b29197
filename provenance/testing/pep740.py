"""PEP 740 attestations minted by the private test instance, in exactly PyPI's format.

A publisher (a GitHub workflow run, a GitLab pipeline, a Google service account) stands for
the OIDC token Fulcio would have seen: it gives the certificate's identity, issuer and the
claims PyPI's verifier reads. `mint_attestation` signs an in-toto v1 statement about one
distribution file as PyPI's publish action does, and returns the attestation object PyPI
stores; `provenance_object` wraps attestations as the Integrity API serves them.

Test-only: used to mint evidence for hermetic tests, never by verification.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from provenance.testing.instance import PrivateSigstoreInstance

__all__ = [
    "PUBLISH_V1",
    "SLSA_PROVENANCE_V1",
    "GitHubWorkflowRun",
    "GitLabPipeline",
    "GoogleServiceAccount",
    "Publisher",
    "attestation_json",
    "mint_attestation",
    "provenance_object",
]

PUBLISH_V1 = "https://docs.pypi.org/attestations/publish/v1"
SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1"
STATEMENT_V1 = "https://in-toto.io/Statement/v1"

# Fulcio claim OIDs (sigstore/fulcio docs/oid-info.md).
_BUILD_SIGNER_URI = "1.3.6.1.4.1.57264.1.9"
_SOURCE_REPOSITORY_URI = "1.3.6.1.4.1.57264.1.12"
_SOURCE_REPOSITORY_DIGEST = "1.3.6.1.4.1.57264.1.13"
_SOURCE_REPOSITORY_REF = "1.3.6.1.4.1.57264.1.14"
_BUILD_CONFIG_URI = "1.3.6.1.4.1.57264.1.18"


@dataclass(frozen=True)
class GitHubWorkflowRun:
    """A GitHub Actions run; `job_workflow` names a reusable workflow the job ran, if any
    (the SAN then names it, while the Build Config URI still names `workflow`)."""

    repository: str
    workflow: str
    ref: str = "refs/tags/v2.1.0"
    sha: str = "5f3a9c1e" * 5
    job_workflow: str | None = None

    issuer = "https://token.actions.githubusercontent.com"

    @property
    def identity(self) -> str:
        if self.job_workflow is not None:
            return f"https://github.com/{self.job_workflow}"
        return self._config_uri

    @property
    def _config_uri(self) -> str:
        return f"https://github.com/{self.repository}/.github/workflows/{self.workflow}@{self.ref}"

    def claims(self) -> dict[str, str]:
        return {
            _BUILD_SIGNER_URI: self.identity,
            _SOURCE_REPOSITORY_URI: f"https://github.com/{self.repository}",
            _SOURCE_REPOSITORY_DIGEST: self.sha,
            _SOURCE_REPOSITORY_REF: self.ref,
            _BUILD_CONFIG_URI: self._config_uri,
        }

    def description(self) -> dict[str, Any]:
        """How the Integrity API describes this publisher (unsigned)."""
        return {
            "environment": None,
            "kind": "GitHub",
            "repository": self.repository,
            "workflow": self.workflow,
        }


@dataclass(frozen=True)
class GitLabPipeline:
    repository: str
    workflow_filepath: str = ".gitlab-ci.yml"
    ref: str = "refs/tags/v2.1.0"
    sha: str = "0be1c2d3" * 5

    issuer = "https://gitlab.com"

    @property
    def identity(self) -> str:
        return f"https://gitlab.com/{self.repository}//{self.workflow_filepath}@{self.ref}"

    def claims(self) -> dict[str, str]:
        return {
            _BUILD_SIGNER_URI: self.identity,
            _SOURCE_REPOSITORY_URI: f"https://gitlab.com/{self.repository}",
            _SOURCE_REPOSITORY_DIGEST: self.sha,
            _SOURCE_REPOSITORY_REF: self.ref,
            _BUILD_CONFIG_URI: self.identity,
        }

    def description(self) -> dict[str, Any]:
        return {
            "environment": None,
            "kind": "GitLab",
            "repository": self.repository,
            "workflow_filepath": self.workflow_filepath,
        }


@dataclass(frozen=True)
class GoogleServiceAccount:
    email: str

    issuer = "https://accounts.google.com"

    @property
    def identity(self) -> str:
        return self.email

    def claims(self) -> dict[str, str]:
        return {}

    def description(self) -> dict[str, Any]:
        return {"email": self.email, "kind": "Google"}


Publisher = GitHubWorkflowRun | GitLabPipeline | GoogleServiceAccount


def mint_attestation(
    instance: PrivateSigstoreInstance,
    distribution: bytes,
    filename: str,
    *,
    publisher: Publisher,
    signed_at: datetime,
    predicate_type: str = PUBLISH_V1,
    predicate: Any = None,
    subject_name: str | None = None,
) -> dict[str, Any]:
    """The attestation PyPI would store for `filename` with these bytes.

    `subject_name` overrides the name the statement gives the file (default: `filename`).
    """
    statement = {
        "_type": STATEMENT_V1,
        "subject": [
            {
                "name": subject_name if subject_name is not None else filename,
                "digest": {"sha256": hashlib.sha256(distribution).hexdigest()},
            }
        ],
        "predicateType": predicate_type,
        "predicate": predicate,
    }
    bundle = instance.sign_dsse(
        statement,
        identity=publisher.identity,
        issuer=publisher.issuer,
        signed_at=signed_at,
        san="uri" if "://" in publisher.identity else "email",
        claims=publisher.claims(),
    )
    material = bundle["verificationMaterial"]
    envelope = bundle["dsseEnvelope"]
    return {
        "envelope": {
            "signature": envelope["signatures"][0]["sig"],
            "statement": envelope["payload"],
        },
        "verification_material": {
            "certificate": material["certificate"]["rawBytes"],
            "transparency_entries": material["tlogEntries"],
        },
        "version": 1,
    }


def provenance_object(publisher: Publisher, attestations: list[dict[str, Any]]) -> dict[str, Any]:
    """A PyPI Integrity API provenance object with one attestation bundle."""
    return {
        "attestation_bundles": [
            {"attestations": attestations, "publisher": publisher.description()}
        ],
        "version": 1,
    }


def attestation_json(document: dict[str, Any]) -> str:
    """Serialised as PyPI serves it: compact, sorted keys, one final newline."""
    return json.dumps(document, sort_keys=True, separators=(",", ":")) + "\n"
