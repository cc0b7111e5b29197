"""PyPI Trusted Publishers as signer rules: the certificate claims PyPI's own verifier checks.

A publisher is named by its CI configuration, not by the certificate's identity (for GitHub,
the SAN names the workflow that ran the job, which may be a reusable one; PyPI trusts the
top-level workflow in the Build Config URI). The checks follow pypi-attestations' publisher
policies (`_GitHubTrustedPublisherPolicy`, `_GitLabTrustedPublisherPolicy`, `GooglePublisher`):

- GitHub: OIDC issuer (v2) is GitHub Actions; Source Repository URI is
  `https://github.com/OWNER/REPO`; Build Config URI is
  `https://github.com/OWNER/REPO/.github/workflows/WORKFLOW@X` where X is the certificate's own
  Source Repository Digest or Ref (at least one must be present).
- GitLab: issuer (v2) `https://gitlab.com`; Source Repository URI
  `https://gitlab.com/NAMESPACE/PROJECT`; Build Config URI
  `https://gitlab.com/NAMESPACE/PROJECT//WORKFLOW_FILEPATH@X`, X as above.
- Google: the SAN is the service account's email and the issuer is Google's.

All comparisons are exact. A publisher's deployment environment is not in Fulcio certificates,
so no rule can check it (policies that name one are refused when loaded).
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509

from provenance.verification.sigstore.fulcio_claims import (
    BUILD_CONFIG_URI,
    ISSUER_V1,
    ISSUER_V2,
    SOURCE_REPOSITORY_DIGEST,
    SOURCE_REPOSITORY_REF,
    SOURCE_REPOSITORY_URI,
    claim_name,
    fulcio_claim,
)

__all__ = [
    "GITHUB_ISSUER",
    "GITLAB_ISSUER",
    "GOOGLE_ISSUER",
    "GitHubPublisher",
    "GitLabPublisher",
    "GooglePublisher",
    "Publisher",
    "TrustedPublisher",
]

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
GITLAB_ISSUER = "https://gitlab.com"
GOOGLE_ISSUER = "https://accounts.google.com"


@dataclass(frozen=True)
class GitHubPublisher:
    repository: str  # OWNER/REPO
    workflow: str  # the workflow's file name, e.g. release.yml

    def describe(self) -> str:
        return f"GitHub {self.repository} workflow {self.workflow}"

    def mismatch(self, leaf: x509.Certificate) -> str | None:
        base = f"https://github.com/{self.repository}"
        return _ci_mismatch(leaf, GITHUB_ISSUER, base, f"{base}/.github/workflows/{self.workflow}@")


@dataclass(frozen=True)
class GitLabPublisher:
    repository: str  # NAMESPACE/PROJECT (subgroups included)
    workflow_filepath: str  # e.g. .gitlab-ci.yml

    def describe(self) -> str:
        return f"GitLab {self.repository} pipeline {self.workflow_filepath}"

    def mismatch(self, leaf: x509.Certificate) -> str | None:
        base = f"https://gitlab.com/{self.repository}"
        return _ci_mismatch(leaf, GITLAB_ISSUER, base, f"{base}//{self.workflow_filepath}@")


@dataclass(frozen=True)
class GooglePublisher:
    email: str  # the Google Cloud service account

    def describe(self) -> str:
        return f"Google service account {self.email}"

    def mismatch(self, leaf: x509.Certificate) -> str | None:
        # sigstore-python's `policy.Identity`, as pypi-attestations uses it: the v1 issuer
        # claim, and the email among the certificate's names.
        issuer = fulcio_claim(leaf, ISSUER_V1)
        if issuer != GOOGLE_ISSUER:
            return f"{claim_name(ISSUER_V1)}: expected {GOOGLE_ISSUER}, got {issuer!r}"
        try:
            names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except x509.ExtensionNotFound:
            return "expected a subject alternative name, got none"
        emails = names.get_values_for_type(x509.RFC822Name)
        if self.email not in emails:
            return f"identity: expected {self.email}, got {', '.join(emails) or 'no email'}"
        return None


Publisher = GitHubPublisher | GitLabPublisher | GooglePublisher


@dataclass(frozen=True)
class TrustedPublisher:
    """A keyless signer named as PyPI names a Trusted Publisher."""

    publisher: Publisher
    # The trust root allowed to vouch for it, by name; None: any the caller verifies against.
    trust_root: str | None = None

    def describe(self) -> str:
        return f"PyPI trusted publisher {self.publisher.describe()}"

    def vouched_by(self, trust_root: str) -> bool:
        return self.trust_root is None or self.trust_root == trust_root

    def mismatch(self, leaf: x509.Certificate) -> str | None:
        """Why the certificate is not this publisher's; None when it is."""
        return self.publisher.mismatch(leaf)


def _ci_mismatch(
    leaf: x509.Certificate, issuer: str, repository_uri: str, config_prefix: str
) -> str | None:
    got_issuer = fulcio_claim(leaf, ISSUER_V2)
    if got_issuer != issuer:
        return f"{claim_name(ISSUER_V2)}: expected {issuer}, got {got_issuer!r}"
    got_repository = fulcio_claim(leaf, SOURCE_REPOSITORY_URI)
    if got_repository != repository_uri:
        return (
            f"{claim_name(SOURCE_REPOSITORY_URI)}: expected {repository_uri}, "
            f"got {got_repository!r}"
        )
    # The publisher names the workflow, not the commit: the certificate's own digest or ref
    # completes the expected URI.
    suffixes = [
        value
        for value in (
            fulcio_claim(leaf, SOURCE_REPOSITORY_DIGEST),
            fulcio_claim(leaf, SOURCE_REPOSITORY_REF),
        )
        if value
    ]
    if not suffixes:
        return (
            f"expected a {claim_name(SOURCE_REPOSITORY_DIGEST)} or "
            f"{claim_name(SOURCE_REPOSITORY_REF)} claim, got neither"
        )
    config = fulcio_claim(leaf, BUILD_CONFIG_URI)
    if config not in {config_prefix + suffix for suffix in suffixes}:
        return (
            f"{claim_name(BUILD_CONFIG_URI)}: expected {config_prefix}"
            f"<{' or '.join(suffixes)}>, got {config!r}"
        )
    return None
