"""What each requirement of a segment checks, and what to do when it fails.

Shown as SARIF rule help (code scanning), and beside failed requirements in the Markdown and
HTML reports. Keyed by the `rule` of a finding in decision-result.v1; a rule not listed here
(a newer release's) gets a generic text rather than no help.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RequirementHelp", "help_for"]


@dataclass(frozen=True)
class RequirementHelp:
    short: str
    full: str
    remedy: str


_HELP = {
    "vendor_signature": RequirementHelp(
        "A verified signature by one of the policy's vendors",
        "Every segment requires a signature that verifies against a signer the policy pins "
        "for a vendor (Sigstore identity, key, X.509 root or OpenPGP key): default deny.",
        "Ask the vendor for the signature or bundle of this exact file, or add the vendor's "
        "signer to the policy after checking it out of band.",
    ),
    "no_evidence": RequirementHelp(
        "Evidence delivered with the file",
        "Nothing was found beside the file that could verify it: no signature, bundle, "
        "attestation, signed checksum list or embedded signature.",
        "Ask the vendor for the file's signature or Sigstore bundle and place it beside the "
        "file under the name it is looked for, or give it with --bundle/--evidence.",
    ),
    "published_hash": RequirementHelp(
        "The SHA-256 the operator copied from the vendor matches",
        "With --expected-sha256 the file must have exactly the digest the operator copied "
        "from the vendor's portal, whatever else verified.",
        "Compare the file with the vendor's published digest again; a mismatch means this is "
        "not the file the vendor published.",
    ),
    "signed_by": RequirementHelp(
        "Signed by the vendors this segment requires",
        "The segment's signed_by lists vendors whose verified signatures are all required.",
        "Obtain a signature from each required vendor, or correct the segment's signed_by.",
    ),
    "evidence": RequirementHelp(
        "Evidence at least as strong as the segment's minimum",
        "Evidence strength, strongest first: attested-build, signed-identity, "
        "signed-checksum-list, published-hash, none. The segment sets a minimum.",
        "Ask the vendor for stronger evidence (a signature over the file itself rather than "
        "a signed checksum list), or admit the file to a segment that accepts this strength.",
    ),
    "freshness": RequirementHelp(
        "Signed recently enough",
        "The newest verified signing time must be within the segment's age limit or after "
        "its not_before date.",
        "Ask the vendor for a current release or a fresh signature.",
    ),
    "provenance": RequirementHelp(
        "SLSA build provenance from the expected builder and source",
        "A verified SLSA provenance attestation about this digest, signed by the vendor, "
        "whose builder, source, ref and build level match the segment's requirement.",
        "Ask the vendor for the provenance attestation of this release; a mismatch in "
        "builder, source or ref means it was not built the way the policy expects.",
    ),
    "attestations": RequirementHelp(
        "Required attestation types present and verified",
        "Every predicate type the segment lists must be attested about this digest by a "
        "signer the policy trusts.",
        "Ask the vendor for the missing attestations (for example a factory acceptance "
        "test report).",
    ),
    "in_toto": RequirementHelp(
        "A verified in-toto layout whose last step produced this file",
        "An in-toto layout signed by the vendor's layout key, with link metadata for every "
        "step, whose final product is this artifact.",
        "Ask the vendor for the layout and the links of this release.",
    ),
    "sbom": RequirementHelp(
        "An SBOM bound to this file with the minimum elements",
        "A CycloneDX or SPDX SBOM for this artifact, bound to its digest as the segment "
        "requires, that meets the minimum elements (NTIA 2021 or CISA 2025).",
        "Ask the vendor for a signed SBOM attestation of this release.",
    ),
    "components": RequirementHelp(
        "No denied component in the SBOM",
        "No component in the SBOM matches the segment's deny list (package URL and versions).",
        "Ask the vendor for a release without the denied component or a VEX statement.",
    ),
    "licenses": RequirementHelp(
        "Component licences allowed",
        "Every component licence in the SBOM is allowed by the segment's licence rules.",
        "Review the listed licences with the legal team; update the policy or reject.",
    ),
    "version": RequirementHelp(
        "A version within the segment's range",
        "The version, taken from the signed identity (or given by the operator), must match "
        "the segment's version specifier.",
        "Use a release in the allowed range, or change the segment's version range.",
    ),
    "rollback": RequirementHelp(
        "No rollback to an older version",
        "The version must not be older than the newest version of this product already "
        "admitted to the segment.",
        "Admit the newer release, or record why the downgrade is wanted and change policy.",
    ),
    "approvals": RequirementHelp(
        "Approved by enough members of the required group",
        "Signed approvals from distinct members of the group, for this digest and segment "
        "(two-person rule).",
        "Have the required number of group members run `provenance approve` on this file.",
    ),
    "vulnerabilities": RequirementHelp(
        "No vulnerability above the segment's limit",
        "No known vulnerability in the SBOM's components above the segment's severity limit "
        "or known to be exploited, unless a VEX statement says the product is not affected.",
        "Ask the vendor for a fixed release or a signed VEX statement; if the data is stale "
        "or missing, carry in fresh data and run `provenance vulndb import`.",
    ),
    # Report-level results, not requirements of a segment.
    "delivery-refused": RequirementHelp(
        "The delivery archive could be unpacked safely",
        "An archive is refused whole when it holds path traversal, links that escape, device "
        "files, too many or too large files, or nesting beyond the limit.",
        "Ask the vendor for a clean archive; do not unpack the refused one by hand.",
    ),
    "evidence-not-verified": RequirementHelp(
        "Evidence that was delivered but did not verify",
        "A signature, attestation or SBOM in the delivery failed verification and counted "
        "for nothing.",
        "Find out why the evidence does not verify: a corrupted download or a tampered file.",
    ),
    "refused-file": RequirementHelp(
        "A file in the delivery that nobody can decide about",
        "Every file of a delivery is an artifact (decided), evidence an artifact used, or a "
        "document the policy declares. Evidence that verified nothing, a file whose name says "
        "signature, SBOM or document but whose content is an executable, script or archive, "
        "and links or special files deny the whole delivery.",
        "Find out what the file is: remove it from the delivery if it does not belong, ask "
        "the vendor for evidence that verifies, or declare documentation in the policy's "
        "delivery.documents.",
    ),
    "unrecognised-file": RequirementHelp(
        "An entry of the delivery that is not decided about",
        "The operator's own policy file, or an archive whose members are decided instead, is "
        "listed here so nothing passes unseen.",
        "Nothing to do unless the entry is unexpected.",
    ),
}


def help_for(rule: str) -> RequirementHelp:
    known = _HELP.get(rule)
    if known is not None:
        return known
    return RequirementHelp(
        f"Requirement {rule}",
        f"The segment's {rule} requirement (see `provenance policy explain`).",
        "Read the reason; `provenance policy explain POLICY --segment S` says what is required.",
    )
