"""What each requirement of a segment checks, and what to do when it fails.

Shown as SARIF rule help (code scanning), and beside failed requirements in the Markdown and
HTML reports. Keyed by the `rule` of a finding in decision-result.v1: a requirement kind's
help is its own (`provenance.policy.requirements`); the rules every segment has and the
report's own results are here; any other rule (a newer release's) gets a generic text rather
than no help.
"""

from __future__ import annotations

from provenance.policy.requirements import RequirementHelp, requirement_kinds

__all__ = ["RequirementHelp", "help_for"]

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
    kind = requirement_kinds().get(rule)
    if kind is not None:
        return kind.help
    known = _HELP.get(rule)
    if known is not None:
        return known
    return RequirementHelp(
        f"Requirement {rule}",
        f"The segment's {rule} requirement (see `provenance policy explain`).",
        "Read the reason; `provenance policy explain POLICY --segment S` says what is required.",
    )
