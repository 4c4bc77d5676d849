"""Just enough MIME for AS2, at the byte level.

Signatures and MICs are over exact bytes, so entities are split here rather than through the
`email` package, whose parser re-folds headers and normalises line ends. `email` is used only to
read header parameters (quoted strings, RFC 2231), which do not affect any digest.
"""

from __future__ import annotations

import base64
import binascii
import email.message
import email.utils
import itertools
import re
import secrets
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

CRLF = b"\r\n"


class MimeError(ValueError):
    """Bytes that are not the MIME entity they claim to be."""


class Headers:
    """An ordered header list with case-insensitive lookup (HTTP and MIME header names are case-insensitive)."""

    def __init__(self, items: Iterable[tuple[str, str]] | Mapping[str, str] = ()) -> None:
        pairs = items.items() if isinstance(items, Mapping) else items
        self._items: list[tuple[str, str]] = [(str(k), str(v)) for k, v in pairs]

    def get(self, name: str, default: str | None = None) -> str | None:
        lowered = name.lower()
        for key, value in self._items:
            if key.lower() == lowered:
                return value
        return default

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._items)

    def items(self) -> list[tuple[str, str]]:
        return list(self._items)

    def to_bytes(self) -> bytes:
        # Latin-1, as HTTP servers decode header bytes: what was read is written back byte for byte.
        return b"".join(f"{k}: {v}".encode("latin-1") + CRLF for k, v in self._items)

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


@dataclass(frozen=True)
class Entity:
    """A MIME entity: its headers, its body, and the exact bytes it was read from or written as."""

    headers: Headers
    body: bytes
    raw: bytes

    @property
    def content_type(self) -> str:
        return content_type_of(self.headers)[0]

    def param(self, name: str) -> str | None:
        return content_type_of(self.headers)[1].get(name)


def make_entity(headers: Iterable[tuple[str, str]], body: bytes) -> Entity:
    """An entity written with CRLF line ends; `raw` is exactly what is signed, encrypted or sent."""
    h = Headers(headers)
    return Entity(h, body, h.to_bytes() + CRLF + body)


_HEADER_END = re.compile(rb"\r?\n\r?\n")


def parse_entity(raw: bytes) -> Entity:
    """Split bytes into headers and body at the first empty line; headers may be folded, lines may end in LF."""
    if raw.startswith((b"\r\n", b"\n")):
        # No headers at all: the body starts after the empty line (RFC 2045 default text/plain).
        return Entity(Headers(), raw[2:] if raw.startswith(b"\r\n") else raw[1:], raw)
    match = _HEADER_END.search(raw)
    if match is None:
        raise MimeError("no empty line ends the MIME headers")
    return Entity(parse_headers(raw[: match.start()]), raw[match.end() :], raw)


def parse_headers(block: bytes) -> Headers:
    items: list[tuple[str, str]] = []
    for line in re.split(rb"\r?\n", block):
        if not line:
            continue
        if line[:1] in (b" ", b"\t"):
            if not items:
                raise MimeError("a folded header line comes before any header")
            name, value = items[-1]
            items[-1] = (name, value + " " + line.strip().decode("latin-1"))
            continue
        name_b, sep, value_b = line.partition(b":")
        if not sep or not name_b.strip():
            raise MimeError(f"header line without a name: {line[:60]!r}")
        items.append((name_b.strip().decode("latin-1"), value_b.strip().decode("latin-1")))
    return Headers(items)


def parse_parameters(value: str, header: str = "content-type") -> tuple[str, dict[str, str]]:
    """`multipart/signed; micalg=sha-256; boundary="x"` → ("multipart/signed", {"micalg": "sha-256", ...})."""
    msg = email.message.Message()
    msg[header] = value
    params = msg.get_params(header=header) or []
    if not params:
        return "", {}
    main = params[0][0].strip().lower()
    found: dict[str, str] = {}
    for key, raw_value in params[1:]:
        found[key.lower()] = email.utils.collapse_rfc2231_value(raw_value)
    return main, found


def content_type_of(headers: Headers) -> tuple[str, dict[str, str]]:
    return parse_parameters(headers.get("Content-Type") or "text/plain")


def filename_of(headers: Headers) -> str | None:
    """The payload's file name: Content-Disposition's `filename`, else Content-Type's `name`."""
    disposition = headers.get("Content-Disposition")
    if disposition:
        name = parse_parameters(disposition, "content-disposition")[1].get("filename")
        if name:
            return name
    return content_type_of(headers)[1].get("name")


def disposition_attachment(filename: str) -> str:
    """Content-Disposition for a file name; a name beyond ASCII goes as RFC 2231 `filename*=UTF-8''...`."""
    if filename.isascii():
        return f"attachment; filename={quote(filename)}"
    return f"attachment; filename*=UTF-8''{urllib.parse.quote(filename, safe='')}"


def quote(value: str) -> str:
    """A header parameter value, quoted when it is not a plain token."""
    if re.fullmatch(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+", value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def new_boundary(*avoid: bytes) -> str:
    """A random boundary that occurs in none of the parts it separates."""
    while True:
        boundary = "----=_pohub_" + secrets.token_hex(12)
        if not any(boundary.encode() in part for part in avoid):
            return boundary


def join_multipart(boundary: str, parts: Iterable[bytes]) -> bytes:
    """RFC 2046 §5.1.1: the CRLF before each delimiter belongs to the delimiter, not to the part."""
    dash = b"--" + boundary.encode("ascii")
    out = b"".join(dash + CRLF + part + CRLF for part in parts)
    return out + dash + b"--" + CRLF


def split_multipart(body: bytes, boundary: str) -> list[bytes]:
    """The exact bytes of each body part (headers and content), without the delimiter lines."""
    dash = re.escape(b"--" + boundary.encode("latin-1"))
    # A delimiter is a line of its own: at the start of the body or after a line end, then optional
    # `--` (the close delimiter) and transport padding (RFC 2046 §5.1.1).
    delimiter = re.compile(rb"(?:^|\r?\n)" + dash + rb"(--)?[ \t]*(?:\r?\n|$)")
    matches = list(delimiter.finditer(body))
    if not matches:
        raise MimeError(f"boundary {boundary!r} does not occur in the multipart body")
    parts: list[bytes] = []
    for current, following in itertools.pairwise(matches):
        if current.group(1):
            break
        parts.append(body[current.end() : following.start()])
    if not any(m.group(1) for m in matches):
        raise MimeError(f"the multipart body has no closing --{boundary}--")
    return parts


def decode_transfer(entity: Entity) -> bytes:
    """The content with its Content-Transfer-Encoding undone (base64 and quoted-printable; others as is)."""
    encoding = (entity.headers.get("Content-Transfer-Encoding") or "binary").strip().lower()
    if encoding == "base64":
        try:
            return base64.b64decode(re.sub(rb"\s+", b"", entity.body), validate=True)
        except binascii.Error as exc:
            raise MimeError(f"base64 body does not decode: {exc}") from exc
    if encoding == "quoted-printable":
        return binascii.a2b_qp(entity.body)
    return entity.body


def cms_bytes(entity: Entity) -> bytes:
    """The DER of an application/pkcs7-* body; some senders send base64 without saying so."""
    data = decode_transfer(entity)
    if data[:1] == b"\x30":  # a DER SEQUENCE, as every CMS ContentInfo is
        return data
    try:
        return base64.b64decode(re.sub(rb"\s+", b"", data), validate=True)
    except binascii.Error:
        return data  # neither: let the CMS reader name what is wrong


def base64_lines(data: bytes) -> bytes:
    """Base64 in 76-character lines (RFC 2045 §6.8), as mail-oriented S/MIME readers expect."""
    encoded = base64.b64encode(data)
    return CRLF.join(encoded[i : i + 76] for i in range(0, len(encoded), 76)) + CRLF
