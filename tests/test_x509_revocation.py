"""Revocation for vendor X.509 signatures: CRL files, and OCSP only when asked (127.0.0.1)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from provenance.errors import InputError, VerificationFailure
from provenance.testing.vendor_pki import (
    CRL_NEXT_UPDATE,
    NOW,
    SIGNED_AT,
    Issued,
    VendorPki,
    sign_cms_detached,
)
from provenance.verification.x509 import X509Signer, load_crl, verify_cms_detached
from provenance.verification.x509.revocation import CrlFile, RevocationMode

FIRMWARE = b"ACME PLC firmware 5.0.0"


@pytest.fixture(scope="module")
def pki() -> VendorPki:
    return VendorPki.create()


@pytest.fixture
def artifact(tmp_path: Path) -> Path:
    path = tmp_path / "firmware.bin"
    path.write_bytes(FIRMWARE)
    return path


def rule(pki: VendorPki, revocation: RevocationMode = "best-effort") -> X509Signer:
    return X509Signer(
        roots=(pki.root.certificate,),
        source="acme",
        tsa_roots=(pki.tsa_root.certificate,),
        revocation=revocation,
    )


def crl_file(
    tmp_path: Path, crl: x509.CertificateRevocationList, name: str = "acme-ca.crl"
) -> CrlFile:
    path = tmp_path / name
    path.write_bytes(crl.public_bytes(serialization.Encoding.DER))
    return load_crl(path)


def verify(pki: VendorPki, artifact: Path, leaf: Issued, crls: list[CrlFile], **kw: Any) -> Any:
    signature = sign_cms_detached(FIRMWARE, leaf, pki.chain, **kw)
    return verify_cms_detached(signature, artifact, [rule(pki)], now=NOW, crls=crls)


def test_not_revoked(pki: VendorPki, artifact: Path, tmp_path: Path) -> None:
    result = verify(pki, artifact, pki.leaf, [crl_file(tmp_path, pki.crl())])
    assert result.revocation == "crl:acme-ca.crl not revoked"
    assert result.revocation_checked
    assert result.chain_revocation == ("not checked",)


def test_chain_revocation_with_the_root_crl(pki: VendorPki, artifact: Path, tmp_path: Path) -> None:
    crls = [crl_file(tmp_path, pki.crl()), crl_file(tmp_path, pki.root_crl(), "acme-root.crl")]
    result = verify(pki, artifact, pki.leaf, crls)
    assert result.chain_revocation == ("crl:acme-root.crl not revoked",)


def test_revoked_intermediate(pki: VendorPki, artifact: Path, tmp_path: Path) -> None:
    crls = [crl_file(tmp_path, pki.root_crl(revoke_intermediate=True), "acme-root.crl")]
    with pytest.raises(
        VerificationFailure,
        match=r"^CA certificate 'CN=ACME Code Signing CA,O=ACME,C=DE' revoked on "
        r"2026-02-01T00:00:00Z \(cACompromise; CRL acme-root.crl\)$",
    ):
        verify(pki, artifact, pki.leaf, crls)


def test_revoked(pki: VendorPki, artifact: Path, tmp_path: Path) -> None:
    with pytest.raises(
        VerificationFailure,
        match=r"^signer certificate revoked on 2026-02-01T00:00:00Z \(keyCompromise; "
        r"CRL acme-ca.crl\)$",
    ):
        verify(pki, artifact, pki.revoked_leaf, [crl_file(tmp_path, pki.crl())])


def test_pem_crl(pki: VendorPki, artifact: Path, tmp_path: Path) -> None:
    path = tmp_path / "acme-ca.pem"
    path.write_bytes(pki.crl().public_bytes(serialization.Encoding.PEM))
    with pytest.raises(
        VerificationFailure, match=r"revoked on .* \(keyCompromise; CRL acme-ca.pem\)"
    ):
        verify(pki, artifact, pki.revoked_leaf, [load_crl(path)])


def test_revoked_for_a_benign_reason_after_a_trusted_timestamp(
    pki: VendorPki, artifact: Path, tmp_path: Path
) -> None:
    later = SIGNED_AT + timedelta(days=5)
    crl = pki.crl(reason=x509.ReasonFlags.superseded, revoked_at=later)
    result = verify(
        pki, artifact, pki.revoked_leaf, [crl_file(tmp_path, crl)], timestamp=pki.timestamp()
    )
    assert result.revocation == (
        "crl:acme-ca.crl revoked on 2026-03-07T09:30:00Z (superseded), after the trusted "
        "signing time 2026-03-02T09:30:00Z"
    )


def test_key_compromise_after_a_trusted_timestamp_still_fails(
    pki: VendorPki, artifact: Path, tmp_path: Path
) -> None:
    crl = pki.crl(revoked_at=SIGNED_AT + timedelta(days=5))
    with pytest.raises(
        VerificationFailure, match=r"revoked on 2026-03-07T09:30:00Z \(keyCompromise"
    ):
        verify(
            pki, artifact, pki.revoked_leaf, [crl_file(tmp_path, crl)], timestamp=pki.timestamp()
        )


def test_benign_revocation_without_a_trusted_time_fails(
    pki: VendorPki, artifact: Path, tmp_path: Path
) -> None:
    crl = pki.crl(reason=x509.ReasonFlags.superseded, revoked_at=SIGNED_AT + timedelta(days=5))
    with pytest.raises(VerificationFailure, match=r"revoked on 2026-03-07T09:30:00Z \(superseded"):
        verify(pki, artifact, pki.revoked_leaf, [crl_file(tmp_path, crl)])


def test_crl_signed_by_another_ca(pki: VendorPki, artifact: Path, tmp_path: Path) -> None:
    with pytest.raises(
        VerificationFailure,
        match=r"^CRL forged.crl is not signed by the issuing CA "
        r"'CN=ACME Code Signing CA,O=ACME,C=DE' whose name it carries$",
    ):
        verify(pki, artifact, pki.leaf, [crl_file(tmp_path, pki.forged_crl(), "forged.crl")])


def test_crl_of_an_unrelated_ca_is_ignored(pki: VendorPki, artifact: Path, tmp_path: Path) -> None:
    other = VendorPki.create(seed="provenance tests: somebody else's pki", organization="Evil")
    result = verify(pki, artifact, pki.leaf, [crl_file(tmp_path, other.crl(), "evil.crl")])
    assert result.revocation == "not checked"
    assert not result.revocation_checked


def test_stale_crl(pki: VendorPki, artifact: Path, tmp_path: Path) -> None:
    stale = pki.crl(
        this_update=datetime(2026, 1, 1, tzinfo=UTC), next_update=datetime(2026, 2, 1, tzinfo=UTC)
    )
    with pytest.raises(
        VerificationFailure,
        match=r"^CRL acme-ca.crl is stale: its nextUpdate 2026-02-01T00:00:00Z is before now "
        r"2026-03-15T12:00:00Z; fetch a current CRL from the vendor$",
    ):
        verify(pki, artifact, pki.leaf, [crl_file(tmp_path, stale)])


def test_crl_from_the_future(pki: VendorPki, artifact: Path, tmp_path: Path) -> None:
    future = pki.crl(this_update=NOW + timedelta(days=1), next_update=CRL_NEXT_UPDATE)
    with pytest.raises(VerificationFailure, match=r"thisUpdate 2026-03-16T12:00:00Z is after now"):
        verify(pki, artifact, pki.leaf, [crl_file(tmp_path, future)])


def test_crl_signed_with_a_weak_hash(pki: VendorPki, artifact: Path, tmp_path: Path) -> None:
    # cryptography will not even sign with ECDSA-SHA1; SHA-224 stands in for weak hashes.
    weak = pki.crl(hash_algorithm=hashes.SHA224())
    with pytest.raises(
        VerificationFailure,
        match=r"^CRL acme-ca.crl is signed with sha224: expected sha256, sha384 or sha512$",
    ):
        verify(pki, artifact, pki.leaf, [crl_file(tmp_path, weak)])


def test_load_crl_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"missing.crl: cannot read CRL"):
        load_crl(tmp_path / "missing.crl")
    junk = tmp_path / "junk.crl"
    junk.write_bytes(b"\x30\x03\x02\x01\x00")
    with pytest.raises(
        InputError,
        match=r"junk.crl: expected a PEM or DER X.509 CRL, got data that does not "
        r"parse as one$",
    ):
        load_crl(junk)


# -- OCSP, only with online=True, only against 127.0.0.1 --------------------------------------


class _Responder(BaseHTTPRequestHandler):
    status = ocsp.OCSPCertStatus.GOOD
    pki: VendorPki
    leaf: x509.Certificate

    def do_POST(self) -> None:
        request = ocsp.load_der_ocsp_request(self.rfile.read(int(self.headers["Content-Length"])))
        assert request.serial_number == self.leaf.serial_number
        builder = (
            ocsp.OCSPResponseBuilder()
            .add_response(
                cert=self.leaf,
                issuer=self.pki.intermediate.certificate,
                algorithm=hashes.SHA1(),
                cert_status=self.status,
                this_update=NOW - timedelta(hours=1),
                next_update=NOW + timedelta(days=1),
                revocation_time=NOW - timedelta(days=2) if self.status.name == "REVOKED" else None,
                revocation_reason=None,
            )
            .responder_id(ocsp.OCSPResponderEncoding.HASH, self.pki.intermediate.certificate)
        )
        body = builder.sign(self.pki.intermediate.key, hashes.SHA256()).public_bytes(
            serialization.Encoding.DER
        )
        self.send_response(200)
        self.send_header("Content-Type", "application/ocsp-response")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def responder(pki: VendorPki, loopback_network: None) -> Iterator[tuple[type[_Responder], str]]:
    handler = type("Handler", (_Responder,), {"pki": pki})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield handler, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("online", [True, False])
def test_ocsp_good_only_when_online(
    pki: VendorPki, artifact: Path, responder: tuple[type[_Responder], str], online: bool
) -> None:
    handler, url = responder
    leaf = pki.issue_leaf("ocsp-leaf", ocsp_url=url)
    handler.leaf = leaf.certificate
    signature = sign_cms_detached(FIRMWARE, leaf, pki.chain)
    result = verify_cms_detached(signature, artifact, [rule(pki)], now=NOW, online=online)
    assert result.revocation == (f"ocsp:{url} good" if online else "not checked")


def test_ocsp_revoked(
    pki: VendorPki, artifact: Path, responder: tuple[type[_Responder], str]
) -> None:
    handler, url = responder
    leaf = pki.issue_leaf("ocsp-leaf", ocsp_url=url)
    handler.leaf = leaf.certificate
    handler.status = ocsp.OCSPCertStatus.REVOKED
    signature = sign_cms_detached(FIRMWARE, leaf, pki.chain)
    with pytest.raises(
        VerificationFailure,
        match=rf"^signer certificate revoked on 2026-03-13T12:00:00Z \(OCSP {url}\)$",
    ):
        verify_cms_detached(signature, artifact, [rule(pki)], now=NOW, online=True)


# -- issue 22: revocation the attacker cannot skip ------------------------------------------


def verify_required(
    pki: VendorPki, artifact: Path, leaf: Issued, crls: list[CrlFile], **kw: Any
) -> Any:
    signature = sign_cms_detached(FIRMWARE, leaf, pki.chain, **kw)
    return verify_cms_detached(signature, artifact, [rule(pki, "required")], now=NOW, crls=crls)


def test_required_without_a_crl_fails_and_says_how_to_supply_one(
    pki: VendorPki, artifact: Path
) -> None:
    with pytest.raises(VerificationFailure) as failure:
        verify_required(pki, artifact, pki.leaf, [])
    assert str(failure.value) == (
        "revocation required: no answer for the signer certificate (no CRL of its issuer: "
        "'CN=ACME Code Signing CA,O=ACME,C=DE'); carry the issuer's CRL in (beside the "
        "delivery, `provenance crl import`, or `crls:` in the policy's x509 signer), or allow "
        "--online-revocation"
    )


def test_required_covers_the_chain_below_the_root(
    pki: VendorPki, artifact: Path, tmp_path: Path
) -> None:
    leaf_only = [crl_file(tmp_path, pki.crl())]
    with pytest.raises(
        VerificationFailure,
        match=r"^revocation required: no answer for the CA certificate 'CN=ACME Code Signing "
        r"CA,O=ACME,C=DE' \(no CRL of its issuer: 'CN=ACME Root CA,O=ACME,C=DE'\)",
    ):
        verify_required(pki, artifact, pki.leaf, leaf_only)
    both = [*leaf_only, crl_file(tmp_path, pki.root_crl(), "acme-root.crl")]
    result = verify_required(pki, artifact, pki.leaf, both)
    assert (result.revocation, result.chain_revocation) == (
        "crl:acme-ca.crl not revoked",
        ("crl:acme-root.crl not revoked",),
    )


def test_an_older_crl_is_refused_and_the_newer_one_decides(
    pki: VendorPki, artifact: Path, tmp_path: Path
) -> None:
    """The attack: the vendor's earlier CRL (inside its validity window, issued before the
    revocation) shipped instead of the current one, which the gate already holds."""
    before = pki.crl(
        number=1, listing_revoked_leaf=False, this_update=datetime(2026, 1, 15, tzinfo=UTC)
    )
    current = pki.crl(number=2)
    old = crl_file(tmp_path, before, "old.crl")
    seen = CrlFile("state/current.crl", current, origin="state")
    with pytest.raises(VerificationFailure, match=r"revoked on 2026-02-01T00:00:00Z"):
        verify(pki, artifact, pki.revoked_leaf, [old, seen])
    result = verify(pki, artifact, pki.leaf, [old, seen])
    assert result.revocation == "crl:state/current.crl not revoked"
    assert (
        "CRL old.crl (number 1, thisUpdate 2026-01-15T00:00:00Z) refused: CRL older than one "
        "already seen (state/current.crl, number 2, thisUpdate 2026-03-01T00:00:00Z)"
    ) in result.notes
    # Alone, the old CRL is all there is: it answers (no newer one was ever seen).
    assert verify(pki, artifact, pki.revoked_leaf, [old]).revocation == "crl:old.crl not revoked"


def test_a_revocation_in_an_older_crl_is_not_undone_by_a_newer_one(
    pki: VendorPki, artifact: Path, tmp_path: Path
) -> None:
    listing = crl_file(tmp_path, pki.crl(number=1), "listing.crl")
    dropped = crl_file(tmp_path, pki.crl(number=2, listing_revoked_leaf=False), "dropped.crl")
    with pytest.raises(VerificationFailure, match=r"\(keyCompromise; CRL listing.crl\)$"):
        verify(pki, artifact, pki.revoked_leaf, [dropped, listing])


def test_a_forged_crl_in_the_state_directory_is_set_aside(
    pki: VendorPki, artifact: Path, tmp_path: Path
) -> None:
    forged = CrlFile("state/forged.crl", pki.forged_crl(), origin="state")
    result = verify(pki, artifact, pki.leaf, [forged, crl_file(tmp_path, pki.crl())])
    assert result.revocation == "crl:acme-ca.crl not revoked"
    assert (
        "CRL state/forged.crl is not signed by the issuing CA 'CN=ACME Code Signing CA,O=ACME,"
        "C=DE' whose name it carries: set aside"
    ) in result.notes
    # From the delivery, the same forgery fails the signature.
    with pytest.raises(VerificationFailure, match=r"is not signed by the issuing CA"):
        verify(pki, artifact, pki.leaf, [CrlFile("forged.crl", pki.forged_crl())])
