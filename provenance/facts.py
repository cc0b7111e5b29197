"""Facts: claims that hold because their cryptography verified. Policy sees only these."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    # Annotations only: `verify` builds signature facts without loading the SBOM, VEX or
    # SLSA parsers (its start-up budget, tests/test_import_budgets.py).
    from provenance.evidence.sbom.model import Sbom
    from provenance.evidence.sbom.vex import VexStatement
    from provenance.evidence.slsa import BuildProvenance, VerificationSummary
    from provenance.scales import SeverityBand

__all__ = [
    "BINDING_STRENGTH",
    "ApprovalFact",
    "AttestationFact",
    "LayoutFact",
    "ProductVersion",
    "PublishedHashFact",
    "SbomBinding",
    "SbomFacts",
    "SignatureFact",
    "VersionSource",
    "VulnerabilityFacts",
    "VulnerabilityFinding",
]


@dataclass(frozen=True)
class SignatureFact:
    """This digest was signed by this signer (directly, or as the subject of a signed in-toto
    statement), at this verified time if one was established.

    Sigstore signatures carry their log entry; signatures made with a plain key over a DSSE
    envelope have no log and no trusted time (`signed_at` is None: the signer's own clock is
    not evidence).
    """

    artifact_sha256: str  # hex
    signer_kind: Literal["sigstore-identity", "key", "x509", "openpgp"]
    identity: str | None  # certificate SAN (keyless)
    issuer: str | None  # OIDC issuer (keyless)
    key_id: str | None  # "sha256:<hex of SPKI>" (managed keys; several joined by ",")
    matched_rule: str  # which signer rule admitted it, in words
    vendor: str | None  # the policy vendor owning that rule, if a policy was used
    signed_at: datetime | None  # earliest verified time; None: no trusted time
    integrated_time: datetime | None  # log's integrated time, if its promise verified
    rfc3161_times: tuple[datetime, ...]
    log_index: int | None
    log_id: str | None  # hex
    log_url: str | None
    trust_root: str | None
    bundle: str  # the evidence file
    bundle_media_type: str | None  # Sigstore bundles only
    log_entry_kind: str | None
    # What was signed: the artifact (message-signature, cms, authenticode, openpgp), an in-toto
    # statement about it (dsse), or a checksum list that lists it (checksum-list).
    content: Literal["message-signature", "dsse", "cms", "authenticode", "openpgp", "checksum-list"]
    predicate_type: str | None  # DSSE in-toto statements only
    checksum_list: str | None = None  # the list file, for content "checksum-list"
    # The names the signed content gives this digest (in-toto subject names, the name in a
    # checksum list), and how many other digests it also covers: a statement about several
    # files says nothing about which of them a version tag belongs to.
    subject_names: tuple[str, ...] = ()
    other_subjects: int = 0

    @property
    def about_this_digest_only(self) -> bool:
        """The signed content is about this one digest: the signature over the artifact
        itself, or a statement whose only subject it is (never a checksum list). Only such
        a signature may say which version the artifact is, or when it was made."""
        return self.content != "checksum-list" and self.other_subjects == 0

    @classmethod
    def without_log(
        cls,
        *,
        artifact_sha256: str,
        signer_kind: Literal["sigstore-identity", "key", "x509", "openpgp"],
        key_id: str,
        matched_rule: str,
        vendor: str | None,
        source: str,
        content: Literal["dsse", "cms", "authenticode", "openpgp", "checksum-list"],
        signed_at: datetime | None = None,
        predicate_type: str | None = None,
        checksum_list: str | None = None,
        subject_names: tuple[str, ...] = (),
        other_subjects: int = 0,
    ) -> SignatureFact:
        """A signature verified outside any transparency log (vendor keys, X.509, OpenPGP).

        `signed_at` only if a trusted timestamp says so; the signer's own clock is not."""
        return cls(
            artifact_sha256=artifact_sha256,
            signer_kind=signer_kind,
            identity=None,
            issuer=None,
            key_id=key_id,
            matched_rule=matched_rule,
            vendor=vendor,
            signed_at=signed_at,
            integrated_time=None,
            rfc3161_times=(signed_at,) if signed_at is not None else (),
            log_index=None,
            log_id=None,
            log_url=None,
            trust_root=None,
            bundle=source,
            bundle_media_type=None,
            log_entry_kind=None,
            content=content,
            predicate_type=predicate_type,
            checksum_list=checksum_list,
            subject_names=subject_names,
            other_subjects=other_subjects,
        )

    def time_text(self) -> str:
        """When it was signed, as far as verified evidence says."""
        if self.signed_at is None:
            return "no trusted signing time (no transparency log or timestamp)"
        where = f" (log index {self.log_index})" if self.log_index is not None else ""
        return self.signed_at.isoformat() + where


@dataclass(frozen=True)
class AttestationFact:
    """A verified in-toto statement about this digest: who signed it and what it claims.

    `predicate` is the statement's predicate as JSON, trusted only as far as `signature` is:
    policy decides which signers' claims count.
    """

    signature: SignatureFact
    statement_type: str
    predicate_type: str
    predicate: Any
    claims: BuildProvenance | VerificationSummary | None  # parsed, for known predicate types


@dataclass(frozen=True)
class LayoutFact:
    """An in-toto layout signed by a vendor's layout keys verified with its links, and the
    artifact is a product of its last step."""

    artifact_sha256: str  # hex
    vendor: str
    layout: str  # the layout file
    signed_by: tuple[str, ...]  # layout key IDs
    steps: tuple[str, ...]
    inspections_run: tuple[str, ...]
    inspections_skipped: tuple[str, ...]  # not run: their artifact rules were not evaluated


@dataclass(frozen=True)
class PublishedHashFact:
    """The artifact's SHA-256 equals the one the operator copied from the vendor's portal.

    The weakest evidence: it shows the file is the one the portal described, not who made it.
    """

    artifact_sha256: str  # hex
    source: Literal["operator"] = "operator"


@dataclass(frozen=True)
class ApprovalFact:
    """A member of a site group signed an approval of this digest for this segment."""

    artifact_sha256: str  # hex
    group: str
    member: str  # the group member whose key verified the signature
    key_id: str
    segment: str
    approved_at: datetime  # as the approver's statement says (signed by the approver)
    comment: str
    source: str  # the approval file


# Where a version was read, strongest first (see `provenance.decision.product`):
#   signed-identity   the tag in the identity of a signature over this digest alone
#   slsa-provenance   the source ref of SLSA provenance whose only subject is this digest
#   signed-sbom       metadata.component.version of an SBOM the vendor signed for this digest
#   operator          `--version`, given by the person running the gate
VersionSource = Literal["signed-identity", "slsa-provenance", "signed-sbom", "operator"]


@dataclass(frozen=True)
class ProductVersion:
    """The artifact's version, where it came from, and the evidence file that said so
    (None for the operator)."""

    value: str
    source: VersionSource
    evidence: str | None = None


# How an SBOM is known to describe this artifact, strongest first:
#   signed-attestation  an in-toto SBOM attestation, signed by a vendor signer, whose subject
#                       is the artifact's digest
#   signed-file         a signed SBOM file whose metadata.component hashes hold the digest
#   named               an unsigned SBOM whose metadata.component hashes hold the digest
#   None                nothing ties the SBOM to the artifact
SbomBinding = Literal["signed-attestation", "signed-file", "named"] | None
BINDING_STRENGTH: dict[SbomBinding, int] = {
    "signed-attestation": 3,
    "signed-file": 2,
    "named": 1,
    None: 0,
}


@dataclass(frozen=True)
class SbomFacts:
    """The SBOM delivered for the artifact (the most strongly bound one) and VEX statements."""

    sbom: Sbom | None  # None: no SBOM was delivered, or it did not parse (see problem)
    binding: SbomBinding
    source: str | None = None  # the SBOM file or attestation it came from
    problem: str | None = None  # why a delivered SBOM is unusable (malformed, oversized)
    binding_detail: str | None = None  # what the binding check found, in words
    vex: tuple[VexStatement, ...] = ()
    # VEX source (file or attestation) -> how it is bound: signed-attestation (about this
    # digest), signed-file (a vendor signed the file), None (unsigned: policy decides).
    vex_bindings: Mapping[str, SbomBinding] = field(default_factory=dict)
    # The policy vendor whose signature binds the SBOM (signed bindings only), and whether the
    # SBOM's described component is this artifact: the signed statement's only subject, or
    # its metadata.component hashes name the digest. Only then may it name a product or
    # version for the artifact.
    signed_by: str | None = None
    describes_artifact: bool = False
    # VEX source -> the policy vendor whose signature binds it (None: unsigned), and the
    # products the document says it is about (`VexDocument.products`).
    vex_signers: Mapping[str, str | None] = field(default_factory=dict)
    vex_products: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class VulnerabilityFinding:
    """A known vulnerability that the offline database says affects an SBOM component."""

    vulnerability_id: str  # the record's id (PYSEC-..., GO-..., RUSTSEC-...) or the CVE (CSAF)
    aliases: tuple[str, ...]  # CVE, GHSA and other ids the record names
    component: str  # the component's purl, else name@version
    purl: str | None
    bom_ref: str | None
    source: Literal["osv", "csaf"]
    record: str  # where it came from: the OSV record id, or the CSAF advisory's tracking id
    match: str  # how it matched: versions, range, git-commit, undetermined; cve, model-number,
    # purl, cpe, product-name (CSAF)
    certain: bool  # False: an undetermined version (OSV) or a "possible" advisory (CSAF)
    severity: SeverityBand | None  # None: no CVSS
    score: float | None
    known_exploited: bool  # in CISA's KEV catalog
    detail: str  # one line: what decided
    # The versions that fix it, as the OSV entry's `fixed` events give them (empty: none
    # known, or a CSAF advisory, whose remediations are free text).
    fixed: tuple[str, ...] = ()


@dataclass(frozen=True)
class VulnerabilityFacts:
    """The SBOM's components looked up in the offline vulnerability database."""

    database: str  # its path
    newest_data: datetime | None  # the newest record's modification time: the data's age
    findings: tuple[VulnerabilityFinding, ...] = ()
    checked: int = 0  # components looked up
    unchecked: tuple[str, ...] = ()  # "component: why it could not be looked up"
    problem: str | None = None  # why no lookup happened (no database, no SBOM)
    # Which data: `VulnDatabase.snapshot()`, a digest over the imported sources (None:
    # unrecorded, or no lookup).
    snapshot: str | None = None
