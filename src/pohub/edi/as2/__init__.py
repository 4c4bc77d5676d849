"""AS2 (RFC 4130): messages signed and encrypted with S/MIME, receipts as MDNs, over HTTP.

Build with `build_message`, send with `post_message`; receive with `receive` (or `open_message`
and `build_mdn` separately); read a returned MDN with `parse_mdn` and confirm it with `check_mdn`.
"""

from pohub.edi.as2.envelope import Envelope, MdnRequest, read_envelope
from pohub.edi.as2.errors import (
    As2Error,
    As2RequestError,
    As2TransportError,
    AuthenticationFailed,
    DecompressionFailed,
    DecryptionFailed,
    InsufficientMessageSecurity,
    IntegrityCheckFailed,
    MdnError,
    MdnMalformed,
    MdnMismatch,
    MdnReportsFailure,
    MdnSignatureError,
    UnexpectedProcessingError,
)
from pohub.edi.as2.inbound import InboundMessage, open_message
from pohub.edi.as2.mdn import Mdn, ReceivedMdn, build_mdn, check_mdn, is_mdn, parse_mdn
from pohub.edi.as2.mic import Mic, compute_mic
from pohub.edi.as2.mime import Headers
from pohub.edi.as2.outbound import OutboundMessage, build_message
from pohub.edi.as2.partner import MdnMode, PartnerProfile, load_certificate, load_private_key
from pohub.edi.as2.receiver import Answer, ProfileLookup, receive
from pohub.edi.as2.transport import post_mdn, post_message

__all__ = [
    "Answer",
    "As2Error",
    "As2RequestError",
    "As2TransportError",
    "AuthenticationFailed",
    "DecompressionFailed",
    "DecryptionFailed",
    "Envelope",
    "Headers",
    "InboundMessage",
    "InsufficientMessageSecurity",
    "IntegrityCheckFailed",
    "Mdn",
    "MdnError",
    "MdnMalformed",
    "MdnMismatch",
    "MdnMode",
    "MdnReportsFailure",
    "MdnRequest",
    "MdnSignatureError",
    "Mic",
    "OutboundMessage",
    "PartnerProfile",
    "ProfileLookup",
    "ReceivedMdn",
    "UnexpectedProcessingError",
    "build_mdn",
    "build_message",
    "check_mdn",
    "compute_mic",
    "is_mdn",
    "load_certificate",
    "load_private_key",
    "open_message",
    "parse_mdn",
    "post_mdn",
    "post_message",
    "read_envelope",
    "receive",
]
