"""What can go wrong with an AS2 message, each error carrying the MDN disposition modifier it is reported with.

RFC 4130 §7.4.3 names the modifiers a receiver sends back in `processed/error: <modifier>`; an
`As2Error` raised while opening a message becomes exactly that line of the MDN.
"""

from __future__ import annotations

from typing import ClassVar


class As2Error(Exception):
    """A message that was received but could not be processed; answered with an error MDN."""

    modifier: ClassVar[str] = "unexpected-processing-error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.modifier}: {self.detail}"


class DecryptionFailed(As2Error):
    modifier = "decryption-failed"


class AuthenticationFailed(As2Error):
    """The signature is not the partner's (another certificate, or a signature that does not verify)."""

    modifier = "authentication-failed"


class IntegrityCheckFailed(As2Error):
    """The content does not match the digest that was signed: altered in transit."""

    modifier = "integrity-check-failed"


class DecompressionFailed(As2Error):
    modifier = "decompression-failed"


class InsufficientMessageSecurity(As2Error):
    """The partner profile requires signing or encryption and the message lacks it."""

    modifier = "insufficient-message-security"


class UnexpectedProcessingError(As2Error):
    modifier = "unexpected-processing-error"


class As2RequestError(ValueError):
    """The HTTP request is not an AS2 message we can answer with an MDN (a header missing or malformed).

    Answered with a 4xx naming the header, since without AS2-From / AS2-To / Message-ID there is no
    one to address an MDN to.
    """

    def __init__(self, field: str, rule: str, status_code: int = 400) -> None:
        super().__init__(f"{field}: {rule}")
        self.field = field
        self.rule = rule
        self.status_code = status_code


class MdnError(Exception):
    """A received MDN that does not confirm the message as sent."""


class MdnMalformed(MdnError):
    pass


class MdnSignatureError(MdnError):
    pass


class MdnReportsFailure(MdnError):
    """The partner answered `processed/error` or `failed`: it did not take the message."""

    def __init__(self, disposition: str) -> None:
        super().__init__(f"the partner reported: {disposition}")
        self.disposition = disposition


class MdnMismatch(MdnError):
    """The MDN is for another message, or its Received-Content-MIC is not the one we computed."""


class As2TransportError(Exception):
    """The partner's server did not take the request (connection error or a non-2xx answer)."""
