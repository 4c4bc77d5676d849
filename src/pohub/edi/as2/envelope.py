"""The AS2 headers of a message (RFC 4130 §6): who it is from and to, its id, and the MDN it asks for."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

from pohub.edi.as2.algorithms import DIGESTS, digest_named
from pohub.edi.as2.errors import As2RequestError
from pohub.edi.as2.mime import Headers

AS2_VERSION = "1.2"  # 1.1 adds compression (RFC 5402), 1.2 multiple attachments; pohub sends one payload


@dataclass(frozen=True)
class MdnRequest:
    """What the sender asked for: Disposition-Notification-To/-Options and Receipt-Delivery-Option."""

    to: str
    signed: bool = False  # signed-receipt-protocol names pkcs7-signature
    signed_required: bool = False  # ... with importance `required`
    micalgs: tuple[str, ...] = ()  # pohub digest names, in the sender's order of preference
    async_url: str | None = None

    def header_items(self) -> list[tuple[str, str]]:
        items = [("Disposition-Notification-To", self.to)]
        if self.signed:
            importance = "required" if self.signed_required else "optional"
            algs = ", ".join(DIGESTS[d].micalg for d in self.micalgs)
            items.append(
                (
                    "Disposition-Notification-Options",
                    f"signed-receipt-protocol={importance}, pkcs7-signature; "
                    f"signed-receipt-micalg={importance}, {algs}",
                )
            )
        if self.async_url:
            items.append(("Receipt-Delivery-Option", self.async_url))
        return items


@dataclass(frozen=True)
class Envelope:
    as2_from: str
    as2_to: str
    message_id: str  # with its angle brackets, as sent
    subject: str | None = None
    mdn: MdnRequest | None = field(default=None)


def new_message_id(domain: str) -> str:
    """`<pohub-…@domain>`: unique (random) and without characters a Message-ID may not hold."""
    host = re.sub(r"[^A-Za-z0-9.-]", "", domain) or "pohub"
    return f"<pohub-{secrets.token_hex(16)}@{host}>"


def format_as2_id(value: str) -> str:
    """RFC 4130 §6.2: an id with spaces or specials is sent as a quoted string."""
    if re.fullmatch(r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]+", value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse_as2_id(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def read_envelope(headers: Headers) -> Envelope:
    """The AS2 headers of a request, or As2RequestError naming the header at fault."""
    values: dict[str, str] = {}
    for name in ("AS2-From", "AS2-To", "Message-ID"):
        raw = headers.get(name)
        if raw is None or not raw.strip():
            raise As2RequestError(name, "required in an AS2 message")
        values[name] = raw.strip()
    as2_from, as2_to = parse_as2_id(values["AS2-From"]), parse_as2_id(values["AS2-To"])
    for name, as2_id in (("AS2-From", as2_from), ("AS2-To", as2_to)):
        if not 1 <= len(as2_id) <= 128 or not all(" " <= ch <= "~" for ch in as2_id):
            raise As2RequestError(name, "an AS2 id is 1 to 128 printable ASCII characters")
    return Envelope(as2_from, as2_to, values["Message-ID"], headers.get("Subject"), read_mdn_request(headers))


def read_mdn_request(headers: Headers) -> MdnRequest | None:
    to = headers.get("Disposition-Notification-To")
    if to is None:
        return None
    signed, required, micalgs = False, False, []
    for clause in (headers.get("Disposition-Notification-Options") or "").split(";"):
        name, sep, rest = clause.partition("=")
        if not sep:
            continue
        importance, *values = [v.strip().lower() for v in rest.split(",")]
        if name.strip().lower() == "signed-receipt-protocol" and "pkcs7-signature" in values:
            signed, required = True, importance == "required"
        elif name.strip().lower() == "signed-receipt-micalg":
            micalgs = [d.name for d in map(digest_named, values) if d is not None]
    async_url = (headers.get("Receipt-Delivery-Option") or "").strip() or None
    return MdnRequest(to.strip(), signed, required, tuple(micalgs), async_url)
