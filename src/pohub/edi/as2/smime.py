"""CMS (PKCS #7) signatures and envelopes for S/MIME, with `cryptography` doing every cryptographic step.

What `cryptography` lacks, `asn1crypto` supplies as structure only, never as cryptography:
- verifying a detached signature: cryptography has no PKCS #7 verify, so the SignerInfo is read with
  asn1crypto, its message digest compared, and its signature checked with the partner certificate's
  public key through cryptography;
- SHA-1 signatures: cryptography's PKCS7SignatureBuilder refuses SHA-1 since 39.0, but old AS2
  partners still ask for `micalg=sha1`; the SignedData is assembled with asn1crypto around a
  signature cryptography makes.
"""

from __future__ import annotations

import hmac

from asn1crypto import algos as asn1_algos
from asn1crypto import cms as asn1_cms
from asn1crypto import core as asn1_core
from asn1crypto import x509 as asn1_x509
from cryptography import exceptions, x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs7

from pohub.edi.as2.algorithms import CIPHERS, DIGESTS, compute_digest
from pohub.edi.as2.errors import AuthenticationFailed, DecryptionFailed, IntegrityCheckFailed
from pohub.edi.as2.partner import PrivateKey

# Binary: sign and encrypt the bytes exactly as given (no LF → CRLF canonicalisation), since the
# MIME entity handed in is already the canonical form that is sent and digested.
_SIGN_OPTIONS = [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary]


def sign_detached(content: bytes, certificate: x509.Certificate, key: PrivateKey, digest: str) -> bytes:
    """A detached CMS SignedData (DER) over `content`, with the signer's certificate included."""
    if digest == "sha1":
        return _sign_detached_sha1(content, certificate, key)
    hash_algorithm = DIGESTS[digest].hash()
    assert isinstance(hash_algorithm, hashes.SHA224 | hashes.SHA256 | hashes.SHA384 | hashes.SHA512)
    builder = pkcs7.PKCS7SignatureBuilder().set_data(content).add_signer(certificate, key, hash_algorithm)
    return builder.sign(serialization.Encoding.DER, _SIGN_OPTIONS)


def _sign_detached_sha1(content: bytes, certificate: x509.Certificate, key: PrivateKey) -> bytes:
    cert = asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))
    signed_attrs = asn1_cms.CMSAttributes(
        [
            {"type": "content_type", "values": ["data"]},
            {"type": "message_digest", "values": [compute_digest("sha1", content)]},
        ]
    )
    to_sign = signed_attrs.dump()  # the universal SET encoding is what is signed (RFC 5652 §5.4)
    if isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(to_sign, padding.PKCS1v15(), hashes.SHA1())
        signature_algorithm = "rsassa_pkcs1v15"
    else:
        signature = key.sign(to_sign, ec.ECDSA(hashes.SHA1()))
        signature_algorithm = "sha1_ecdsa"
    signer = asn1_cms.SignerInfo(
        {
            "version": "v1",
            "sid": asn1_cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": asn1_cms.IssuerAndSerialNumber(
                        {"issuer": cert.issuer, "serial_number": cert.serial_number}
                    )
                }
            ),
            "digest_algorithm": {"algorithm": "sha1"},
            "signed_attrs": signed_attrs,
            "signature_algorithm": {"algorithm": signature_algorithm},
            "signature": signature,
        }
    )
    signed_data = asn1_cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [{"algorithm": "sha1"}],
            "encap_content_info": {"content_type": "data"},
            "certificates": [cert],
            "signer_infos": [signer],
        }
    )
    return bytes(asn1_cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump())


def verify_detached(content: bytes, signature_der: bytes, partner: x509.Certificate) -> str:
    """Check that the partner signed `content`; answer the digest algorithm it used.

    A signer that is not the partner's certificate, or a signature value that does not verify, is
    authentication-failed; a digest that differs from the content's is integrity-check-failed.
    """
    try:
        info = asn1_cms.ContentInfo.load(signature_der)
        if info["content_type"].native != "signed_data":
            raise AuthenticationFailed(f"the signature part is {info['content_type'].native}, not signed-data")
        signers = list(info["content"]["signer_infos"])
    except (ValueError, TypeError) as exc:
        raise AuthenticationFailed(f"the signature part is not CMS SignedData: {exc}") from exc
    ours = [s for s in signers if _is_signer(s, partner)]
    if not ours:
        raise AuthenticationFailed(
            f"not signed with the partner's certificate ({partner.subject.rfc4514_string()}, "
            f"serial {partner.serial_number:x})"
        )
    signer = ours[0]
    digest_name = signer["digest_algorithm"]["algorithm"].native
    if digest_name not in DIGESTS:
        raise AuthenticationFailed(f"unsupported signature digest {digest_name}")
    actual = compute_digest(digest_name, content)
    signed_attrs = signer["signed_attrs"]
    if isinstance(signed_attrs, asn1_core.Void) or not len(signed_attrs):
        signed_bytes = content
    else:
        expected = _message_digest(signed_attrs)
        if not hmac.compare_digest(expected, actual):
            raise IntegrityCheckFailed("the content's digest differs from the signed message digest")
        # The signature covers the attributes re-tagged as a universal SET (RFC 5652 §5.4); the
        # received bytes are kept, only the [0] IMPLICIT tag byte is replaced.
        signed_bytes = b"\x31" + signed_attrs.dump()[1:]
    _check_signature(signer, signed_bytes, partner, digest_name)
    return str(digest_name)


def _is_signer(signer: asn1_cms.SignerInfo, partner: x509.Certificate) -> bool:
    sid = signer["sid"]
    if sid.name == "issuer_and_serial_number":
        # asn1crypto compares names by RFC 5280 rules, so a re-encoded issuer still matches.
        issuer = asn1_x509.Name.load(partner.issuer.public_bytes())
        return bool(sid.chosen["serial_number"].native == partner.serial_number and sid.chosen["issuer"] == issuer)
    try:
        ski = partner.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        return False
    return bool(sid.chosen.native == ski)


def _message_digest(signed_attrs: asn1_cms.CMSAttributes) -> bytes:
    for attr in signed_attrs:
        if attr["type"].native == "message_digest":
            return bytes(attr["values"][0].native)
    raise AuthenticationFailed("the signed attributes have no message digest")


def _check_signature(signer: asn1_cms.SignerInfo, signed: bytes, partner: x509.Certificate, digest_name: str) -> None:
    public_key = partner.public_key()
    algorithm: asn1_algos.SignedDigestAlgorithm = signer["signature_algorithm"]
    signature = signer["signature"].native
    hash_algorithm = DIGESTS[digest_name].hash()
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            if algorithm.signature_algo == "rsassa_pss":
                params = algorithm["parameters"]
                pss_hash = DIGESTS[params["hash_algorithm"]["algorithm"].native].hash()
                mgf_hash = DIGESTS[params["mask_gen_algorithm"]["parameters"]["algorithm"].native].hash()
                pss = padding.PSS(mgf=padding.MGF1(mgf_hash), salt_length=params["salt_length"].native)
                public_key.verify(signature, signed, pss, pss_hash)
            else:
                public_key.verify(signature, signed, padding.PKCS1v15(), hash_algorithm)
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, signed, ec.ECDSA(hash_algorithm))
        else:
            raise AuthenticationFailed("the partner certificate's key is neither RSA nor EC")
    except exceptions.InvalidSignature as exc:
        raise AuthenticationFailed("the signature does not verify with the partner's certificate") from exc
    except (KeyError, ValueError) as exc:
        raise AuthenticationFailed(f"unsupported signature algorithm: {exc}") from exc


def encrypt(content: bytes, recipient: x509.Certificate, cipher: str) -> bytes:
    """CMS EnvelopedData (DER) of `content` for the recipient's RSA key."""
    builder = (
        pkcs7.PKCS7EnvelopeBuilder()
        .set_data(content)
        .add_recipient(recipient)
        .set_content_encryption_algorithm(CIPHERS[cipher].algorithm)
    )
    return builder.encrypt(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])


def decrypt(envelope_der: bytes, certificate: x509.Certificate, key: PrivateKey) -> bytes:
    """The content of a CMS EnvelopedData addressed to our certificate; anything else is decryption-failed."""
    if not isinstance(key, rsa.RSAPrivateKey):
        raise DecryptionFailed("our key is not RSA; only RSA key transport is supported")
    try:
        return pkcs7.pkcs7_decrypt_der(envelope_der, certificate, key, [])
    except exceptions.UnsupportedAlgorithm as exc:
        raise DecryptionFailed(f"unsupported content encryption: {exc}") from exc
    except ValueError as exc:
        raise DecryptionFailed(
            f"cannot decrypt with our certificate ({certificate.subject.rfc4514_string()}): {exc}"
        ) from exc
