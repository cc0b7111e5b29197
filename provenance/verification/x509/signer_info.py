"""Pieces of a SignerInfo check shared by signatures, timestamps and countersignatures
(RFC 5652 5.3-5.6): the digest algorithms accepted, finding the signer's certificate, reading
attributes, and verifying the signature over the DER signed attributes.
"""

from __future__ import annotations

from collections.abc import Sequence

from asn1crypto import cms
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from provenance.errors import EvidenceError, VerificationFailure

__all__ = [
    "ALLOWED_DIGESTS",
    "DIGEST_STRENGTH",
    "attributes",
    "check_digest_algorithm",
    "find_signer",
    "signed_attributes_der",
    "single",
    "verify_signer_signature",
]

ALLOWED_DIGESTS: dict[str, hashes.HashAlgorithm] = {
    "sha256": hashes.SHA256(),
    "sha384": hashes.SHA384(),
    "sha512": hashes.SHA512(),
}
# Which of two verified signatures is the stronger, by digest.
DIGEST_STRENGTH = {"sha256": 1, "sha384": 2, "sha512": 3}


def check_digest_algorithm(name: str, what: str) -> hashes.HashAlgorithm:
    """The hash for `name`; md5, sha1 and anything else outside SHA-2 256/384/512 are refused."""
    algorithm = ALLOWED_DIGESTS.get(name)
    if algorithm is None:
        raise VerificationFailure(
            f"{what} digest algorithm {name} refused: expected sha256, sha384 or sha512",
            check="digest-algorithm",
        )
    return algorithm


def find_signer(sid: cms.SignerIdentifier, pool: Sequence[x509.Certificate]) -> x509.Certificate:
    if sid.name == "issuer_and_serial_number":
        issuer = sid.chosen["issuer"].dump()
        serial = sid.chosen["serial_number"].native
        for certificate in pool:
            if certificate.serial_number == serial and certificate.issuer.public_bytes() == issuer:
                return certificate
        wanted = f"serial {serial:x}"
    else:
        key_id = sid.chosen.native
        for certificate in pool:
            try:
                ski = certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
            except x509.ExtensionNotFound:
                continue
            if ski.value.digest == key_id:
                return certificate
        wanted = f"key identifier {key_id.hex()}"
    raise EvidenceError(
        f"CMS: the signer certificate ({wanted}) is not in the signature", check="cms"
    )


def attributes(attributes: cms.CMSAttributes, what: str) -> dict[str, cms.CMSAttribute]:
    found: dict[str, cms.CMSAttribute] = {}
    for attribute in attributes:
        name = attribute["type"].native
        if name in found:
            raise EvidenceError(f"CMS: {what} attribute {name} appears twice", check="cms")
        found[name] = attribute
    return found


def single(attribute: cms.CMSAttribute, name: str) -> object:
    values = attribute["values"]
    if len(values) != 1:
        raise EvidenceError(
            f"CMS: expected one value in signed attribute {name}, got {len(values)}", check="cms"
        )
    return values[0]


def verify_signer_signature(
    info: cms.SignerInfo, leaf: x509.Certificate, digest_name: str, signed: bytes
) -> None:
    """The SignerInfo's signature over its DER signed attributes, with the leaf's key."""
    algorithm = info["signature_algorithm"]
    named = algorithm["algorithm"].native
    try:
        scheme = algorithm.signature_algo
        # A combined identifier (sha256_rsa, sha384_ecdsa) must name the digest algorithm.
        combined = scheme != "rsassa_pss" and named not in ("rsassa_pkcs1v15", "ecdsa")
        mismatch = combined and algorithm.hash_algo != digest_name
    except ValueError as exc:
        raise VerificationFailure(
            f"signature algorithm {named} is not supported", check="signature"
        ) from exc
    if mismatch:
        raise VerificationFailure(
            f"signature algorithm {named} does not match digest algorithm {digest_name}",
            check="signature",
        )
    hash_algorithm = ALLOWED_DIGESTS[digest_name]
    key = leaf.public_key()
    signature = info["signature"].native
    try:
        if scheme == "ecdsa" and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, signed, ec.ECDSA(hash_algorithm))
        elif scheme == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, signed, padding.PKCS1v15(), hash_algorithm)
        elif scheme == "rsassa_pss" and isinstance(key, rsa.RSAPublicKey):
            params = algorithm["parameters"]
            if params["hash_algorithm"]["algorithm"].native != digest_name or (
                params["mask_gen_algorithm"]["parameters"]["algorithm"].native != digest_name
            ):
                raise VerificationFailure(
                    f"RSASSA-PSS parameters do not use digest algorithm {digest_name}",
                    check="signature",
                )
            pss = padding.PSS(
                mgf=padding.MGF1(hash_algorithm), salt_length=params["salt_length"].native
            )
            key.verify(signature, signed, pss, hash_algorithm)
        else:
            raise VerificationFailure(
                f"signature algorithm {named} does not fit the signer's "
                f"{type(key).__name__.removeprefix('_')} key",
                check="signature",
            )
    except InvalidSignature as exc:
        raise VerificationFailure(
            "the signature over the signed attributes does not verify with the signer "
            f"certificate '{leaf.subject.rfc4514_string()}'",
            check="signature",
        ) from exc


def signed_attributes_der(info: cms.SignerInfo) -> bytes:
    """What a SignerInfo's signature covers: its signed attributes as a DER SET OF (RFC 5652
    5.4), the [0] IMPLICIT tag of the SignerInfo field replaced by the SET tag."""
    dumped: bytes = info["signed_attrs"].dump()
    return b"\x31" + dumped[1:]
