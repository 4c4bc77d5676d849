"""EDI partner profiles: the rules a profile must meet (one table), adding and listing them, and
allocating control numbers that are never reused.

Test or production: a profile with usage ``T`` trades test interchanges only. An interchange marked
test (ISA15 ``T``, UNB 0035 ``1``), or any interchange of a test profile, is validated and
acknowledged (997 / CONTRL) but never applied to orders. pohub's own interchanges to a test profile
are marked test.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.core import clock
from pohub.core.errors import BadRequest, Conflict, FieldError, Forbidden, NotFound, Unprocessable
from pohub.edi import guides
from pohub.edi.as2 import algorithms
from pohub.edi.partners import repository as repo
from pohub.partners import repository as partners_repo

STANDARDS = {"x12": ("004010", "005010"), "edifact": ("D96A",)}
CONTROL_KINDS = {"x12": ("isa", "gs", "st"), "edifact": ("unb", "unh")}
# The largest number each control number field holds (ISA13 and GS06 are 9 digits, ST02 4..9
# characters, UNB 0020 and UNH 0062 14 characters).
CONTROL_MAX = {
    "isa": 999_999_999,
    "gs": 999_999_999,
    "st": 999_999_999,
    "unb": 99_999_999_999_999,
    "unh": 99_999_999_999_999,
}
X12_QUALIFIERS = frozenset(f"{n:02d}" for n in [*range(1, 5), *range(7, 39)]) | {"AM", "NR", "SA", "SN", "ZZ"}
USAGES = ("P", "T")
TRANSPORTS = ("api", "as2", "folder")
# Characters no identity may contain: they are delimiters in one standard or the other.
_DELIMITERS = re.compile(r"[*~^|>:+'?\r\n]")


@dataclass(frozen=True)
class Profile:
    id: int
    company_id: int
    counterparty_id: int
    role: str
    standard: str
    version: str
    their_qualifier: str
    their_id: str
    our_qualifier: str
    our_id: str
    their_group_id: str
    our_group_id: str
    usage: str
    expects_997: bool
    ack_within_minutes: int
    transport: str
    as2_url: str | None
    as2_their_id: str | None
    as2_our_id: str | None
    as2_settings: dict[str, Any]
    folder: str | None
    guide: dict[str, Any] = field(default_factory=dict)  # the implementation guide, per set (edi/guides.py)

    @property
    def test(self) -> bool:
        return self.usage == "T"

    @property
    def buyer_id(self) -> int:
        return self.company_id if self.role == "buyer" else self.counterparty_id

    @property
    def supplier_id(self) -> int:
        return self.counterparty_id if self.role == "buyer" else self.company_id


def profile_of(row: Any) -> Profile:
    values = dict(row._mapping)
    values.pop("created_at", None)
    values["as2_settings"] = json.loads(values["as2_settings"]) if values["as2_settings"] else {}
    values["guide"] = json.loads(values["guide"]) if values.get("guide") else {}
    values["expects_997"] = bool(values["expects_997"])
    return Profile(**values)


# --- what a profile must be: one rule per field, each naming what it checks ----------------------

Check = Callable[[dict[str, Any]], str | None]


def _identity(limit_x12: int, limit_edifact: int) -> Callable[[Any, dict[str, Any]], str | None]:
    def check(value: Any, p: dict[str, Any]) -> str | None:
        limit = limit_x12 if p.get("standard") == "x12" else limit_edifact
        if not isinstance(value, str) or not value.strip():
            return "is required"
        if len(value) > limit:
            return f"is at most {limit} characters in {p.get('standard')}"
        if _DELIMITERS.search(value):
            return "must not contain a delimiter character (* ~ ^ | > : + ' ?)"
        return None

    return check


def _qualifier(value: Any, p: dict[str, Any]) -> str | None:
    if p.get("standard") == "x12":
        return None if value in X12_QUALIFIERS else "must be an ISA05/ISA07 code: 01, 08, 12, 14, ZZ ..."
    if value in ("", None):
        return None
    return None if isinstance(value, str) and re.fullmatch(r"[A-Z0-9]{1,4}", value) else "is 1 to 4 letters or digits"


def _version(value: Any, p: dict[str, Any]) -> str | None:
    allowed = STANDARDS.get(p.get("standard", ""), ())
    return None if value in allowed else f"must be one of {', '.join(allowed)} for {p.get('standard')}"


def _choice(options: tuple[str, ...]) -> Callable[[Any, dict[str, Any]], str | None]:
    return lambda value, _p: None if value in options else f"must be one of {', '.join(options)}"


def _minutes(value: Any, _p: dict[str, Any]) -> str | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 10_080
    return None if ok else "must be a whole number of minutes from 1 to 10080 (a week)"


def _as2_url(value: Any, p: dict[str, Any]) -> str | None:
    if p.get("transport") != "as2":
        return None
    ok = isinstance(value, str) and re.fullmatch(r"https?://[^\s]+", value) is not None and len(value) <= 500
    return None if ok else "is required for the as2 transport: an http:// or https:// URL"


def _as2_name(value: Any, p: dict[str, Any]) -> str | None:
    if p.get("transport") != "as2":
        return None
    ok = isinstance(value, str) and 0 < len(value) <= 128 and re.fullmatch(r"[!-~]+", value) is not None
    return None if ok else "is required for the as2 transport: 1 to 128 printable characters, no spaces"


def _folder(value: Any, p: dict[str, Any]) -> str | None:
    if p.get("transport") != "folder":
        return None
    ok = isinstance(value, str) and value.startswith("/") and len(value) <= 500
    return None if ok else "is required for the folder transport: an absolute path"


# As2Settings: what each key may hold (edi/transports.as2_profile reads them). Files are named by
# path, never stored. Stored as JSON in a column of 4,000 characters, checked here on both databases.
_AS2_FLAGS = ("Sign", "Encrypt", "MdnSigned", "RequireSigned", "RequireEncrypted")
_AS2_FILES = ("OurCertificateFile", "OurKeyFile", "PartnerCertificateFile")
_AS2_SETTINGS_MAX = 4000


def _as2_setting(key: str, value: Any) -> str | None:
    """What is wrong with one As2Settings entry, or None."""
    if key in _AS2_FLAGS:
        return None if isinstance(value, bool) else "must be true or false"
    if key in _AS2_FILES:
        ok = isinstance(value, str) and 0 < len(value) <= 1000 and "\x00" not in value
        return None if ok else "must be a file path of 1 to 1000 characters"
    if key == "Digest":
        return (
            None
            if isinstance(value, str) and algorithms.digest_named(value)
            else f"must be one of {', '.join(algorithms.DIGESTS)}"
        )
    if key == "Mdn":
        return None if value in ("sync", "async") else "must be sync or async"
    if key == "AsyncMdnUrl":
        ok = isinstance(value, str) and re.fullmatch(r"https?://[^\s]+", value) is not None and len(value) <= 500
        return None if ok else "must be an http:// or https:// URL"
    known = (*_AS2_FLAGS, *_AS2_FILES, "Digest", "Mdn", "AsyncMdnUrl")
    return f"is not an AS2 setting ({', '.join(known)})"


def as2_settings_errors(value: Any) -> list[FieldError]:
    """Every entry of As2Settings that breaks its rule, each named As2Settings.<key>."""
    if value is None:
        return []
    if not isinstance(value, dict):
        return [FieldError("As2Settings", "must be an object of AS2 settings")]
    errors = [FieldError(f"As2Settings.{k}", why) for k, v in value.items() if (why := _as2_setting(k, v))]
    if not errors and len(json.dumps(value)) > _AS2_SETTINGS_MAX:
        errors.append(FieldError("As2Settings", f"is at most {_AS2_SETTINGS_MAX} characters as JSON"))
    if not errors and value.get("Mdn") == "async" and not value.get("AsyncMdnUrl"):
        errors.append(FieldError("As2Settings.AsyncMdnUrl", "is required when Mdn is async"))
    return errors


def _group_id(value: Any, p: dict[str, Any]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not 2 <= len(value) <= 15 or _DELIMITERS.search(value):
        return "is 2 to 15 characters without delimiters (GS02/GS03)"
    return None


RULES: dict[str, tuple[str, Callable[[Any, dict[str, Any]], str | None]]] = {
    # python name: (wire name, rule)
    "standard": ("Standard", _choice(tuple(STANDARDS))),
    "version": ("Version", _version),
    "their_qualifier": ("TheirQualifier", _qualifier),
    "their_id": ("TheirId", _identity(15, 35)),
    "our_qualifier": ("OurQualifier", _qualifier),
    "our_id": ("OurId", _identity(15, 35)),
    "their_group_id": ("TheirGroupId", _group_id),
    "our_group_id": ("OurGroupId", _group_id),
    "usage": ("Usage", _choice(USAGES)),
    "ack_within_minutes": ("AckWithinMinutes", _minutes),
    "transport": ("Transport", _choice(TRANSPORTS)),
    "as2_url": ("As2Url", _as2_url),
    "as2_their_id": ("As2TheirId", _as2_name),
    "as2_our_id": ("As2OurId", _as2_name),
    "folder": ("Folder", _folder),
}
DEFAULTS: dict[str, Any] = {
    "usage": "P",
    "expects_997": True,
    "ack_within_minutes": 1440,
    "transport": "api",
    "their_qualifier": "ZZ",
    "our_qualifier": "ZZ",
}


def check_profile(values: dict[str, Any]) -> dict[str, Any]:
    """The profile with its defaults, or a 422 naming every field that breaks its rule."""
    p = DEFAULTS | {k: v for k, v in values.items() if v is not None}
    errors = [FieldError(wire, why) for name, (wire, rule) in RULES.items() if (why := rule(p.get(name), p))]
    if not isinstance(p.get("expects_997"), bool):
        errors.append(FieldError("Expects997", "must be true or false"))
    errors += as2_settings_errors(p.get("as2_settings"))
    if errors:
        raise Unprocessable("The EDI partner profile breaks a rule", errors)
    p["their_group_id"] = p.get("their_group_id") or p["their_id"][:15]
    p["our_group_id"] = p.get("our_group_id") or p["our_id"][:15]
    return p


async def add_partner(
    conn: AsyncConnection, *, edi_company_id: int, counterparty_id: int, values: dict[str, Any], caller_id: int | None
) -> Profile:
    """Add the profile of the EDI side of a connected pair (``caller_id`` None: the operator's CLI)."""
    if caller_id is not None and caller_id not in (edi_company_id, counterparty_id):
        raise Forbidden("Only the two companies of a trading relationship may set up its EDI profile")
    p = check_profile(values)
    if await partners_repo.partnership(conn, buyer_id=edi_company_id, supplier_id=counterparty_id) is not None:
        role = "buyer"
    elif await partners_repo.partnership(conn, buyer_id=counterparty_id, supplier_id=edi_company_id) is not None:
        role = "supplier"
    else:
        raise Unprocessable(
            f"Companies {edi_company_id} and {counterparty_id} are not connected",
            [FieldError("CounterpartyId", "must be a company the EDI company buys from or sells to")],
        )
    if await repo.partner_of_pair(conn, company_id=edi_company_id, counterparty_id=counterparty_id) is not None:
        raise Conflict(f"Company {edi_company_id} already has an EDI profile with company {counterparty_id}")
    row = _stored(p) | {
        "company_id": edi_company_id,
        "counterparty_id": counterparty_id,
        "role": role,
        "created_at": clock.now(),
    }
    if await repo.partner_by_identity(conn, row) is not None:
        raise Conflict(
            "Another EDI profile already uses these identities",
            [FieldError("TheirId", "the (Standard, TheirQualifier, TheirId, OurQualifier, OurId) set must be unique")],
        )
    partner_id = await repo.insert_partner(conn, row, CONTROL_KINDS[p["standard"]])
    found = await repo.partner_by_id(conn, partner_id)
    return profile_of(found)


def _stored(p: dict[str, Any]) -> dict[str, Any]:
    """A checked profile's columns (as2_settings as JSON text)."""
    return {name: p.get(name) for name in RULES} | {
        "expects_997": p["expects_997"],
        "as2_settings": json.dumps(p["as2_settings"]) if p.get("as2_settings") else None,
    }


async def edit_partner(
    conn: AsyncConnection, *, partner_id: int, values: dict[str, Any], caller_id: int | None
) -> Profile:
    """Change the fields given of a profile (a null sets a field back to its default); the others
    stay, as do its pair, its role, its guide and its control numbers, which go on from where they
    were. The standard is fixed: its control numbers are that standard's (a new one is a new profile)."""
    current = await profile(conn, partner_id=partner_id)
    if caller_id is not None and caller_id not in (current.company_id, current.counterparty_id):
        raise NotFound(f"No EDI partner {partner_id}")
    if values.get("standard", current.standard) != current.standard:
        raise Unprocessable(
            "A profile's Standard cannot change",
            [FieldError("Standard", f"is {current.standard} for this profile's life: add a new profile instead")],
        )
    merged = {name: getattr(current, name) for name in RULES} | {
        "expects_997": current.expects_997,
        "as2_settings": current.as2_settings,
    }
    merged |= {k: (DEFAULTS.get(k) if v is None else v) for k, v in values.items()}
    p = check_profile(merged)
    row = _stored(p) | {"company_id": current.company_id}
    other = await repo.partner_by_identity(conn, row)
    if other is not None and other.id != partner_id:
        raise Conflict(
            "Another EDI profile already uses these identities",
            [FieldError("TheirId", "the (Standard, TheirQualifier, TheirId, OurQualifier, OurId) set must be unique")],
        )
    await repo.update_partner(conn, partner_id=partner_id, values=_stored(p))
    return await profile(conn, partner_id=partner_id)


async def profiles_of(conn: AsyncConnection, *, company_id: int) -> list[Profile]:
    return [profile_of(r) for r in await repo.partners_of_company(conn, company_id)]


async def all_profiles(conn: AsyncConnection) -> list[Profile]:
    return [profile_of(r) for r in await repo.all_partners(conn)]


async def profile(conn: AsyncConnection, *, partner_id: int) -> Profile:
    row = await repo.partner_by_id(conn, partner_id)
    if row is None:
        raise NotFound(f"No EDI partner {partner_id}")
    return profile_of(row)


async def set_guide(
    conn: AsyncConnection, *, partner_id: int, guide: dict[str, Any] | None, caller_id: int | None
) -> Profile:
    """Set (or, with an empty one, clear) a profile's implementation guide, checked rule by rule."""
    p = await profile(conn, partner_id=partner_id)
    if caller_id is not None and caller_id not in (p.company_id, p.counterparty_id):
        raise NotFound(f"No EDI partner {partner_id}")
    if guide:
        guides.parse(p.standard, guide)  # a 422 naming every rule that is not one
    await repo.set_guide(conn, partner_id=partner_id, guide=json.dumps(guide) if guide else None)
    return await profile(conn, partner_id=partner_id)


async def profile_between(conn: AsyncConnection, *, edi_company_id: int, counterparty_id: int) -> Profile | None:
    row = await repo.partner_of_pair_in_unit(conn, company_id=edi_company_id, counterparty_id=counterparty_id)
    return None if row is None else profile_of(row)


async def speaking_for(conn: AsyncConnection, *, company_id: int) -> list[Profile]:
    return [profile_of(r) for r in await repo.partners_speaking_for(conn, company_id)]


async def next_control(conn: AsyncConnection, *, partner: Profile, kind: str, count: int = 1) -> int:
    """The first of ``count`` fresh control numbers of one kind for a partner, never handed out before."""
    first = await repo.allocate(conn, partner_id=partner.id, kind=kind, count=count)
    if first + count - 1 > CONTROL_MAX[kind]:
        raise Conflict(f"EDI partner {partner.id} has used every {kind.upper()} control number")
    return first


def wire(p: Profile) -> dict[str, Any]:
    """A profile as the API shows it."""
    return {
        "Id": p.id,
        "EdiCompanyId": p.company_id,
        "CounterpartyId": p.counterparty_id,
        "Role": p.role,
        "Standard": p.standard,
        "Version": p.version,
        "TheirQualifier": p.their_qualifier,
        "TheirId": p.their_id,
        "OurQualifier": p.our_qualifier,
        "OurId": p.our_id,
        "TheirGroupId": p.their_group_id,
        "OurGroupId": p.our_group_id,
        "Usage": p.usage,
        "Expects997": p.expects_997,
        "AckWithinMinutes": p.ack_within_minutes,
        "Transport": p.transport,
        "As2Url": p.as2_url,
        "As2TheirId": p.as2_their_id,
        "As2OurId": p.as2_our_id,
        "Folder": p.folder,
        "Guide": p.guide,
    }


WIRE_FIELDS = {wire_name: name for name, (wire_name, _rule) in RULES.items()} | {
    "Expects997": "expects_997",
    "As2Settings": "as2_settings",
}


def profile_values(body: Any) -> dict[str, Any]:
    """The profile fields of a request body, by their Python names; an unknown field is a 422."""
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object")
    known = set(WIRE_FIELDS) | {"EdiCompanyId", "CounterpartyId"}
    unknown = [k for k in body if k not in known]
    if unknown:
        raise Unprocessable(
            "Unknown fields in the EDI partner profile",
            [FieldError(k, f"is not a profile field ({', '.join(sorted(known))})") for k in unknown],
        )
    return {WIRE_FIELDS[k]: v for k, v in body.items() if k in WIRE_FIELDS}


DUPLICATE_WINDOW = timedelta(days=90)


async def first_receipt(
    conn: AsyncConnection,
    *,
    partner: Profile,
    control: str,
    exchange_id: int | None,
    window: timedelta = DUPLICATE_WINDOW,
) -> int | None:
    """Remember an interchange by its sender's control number. None when it is new (or its number
    was last seen longer than ``window`` ago); else the exchange that received it first. Two copies
    arriving at once: the unique constraint lets one in, the other finds it."""
    now = clock.now()
    seen = await repo.received(conn, partner_id=partner.id, control=control)
    if seen is not None:
        if now - seen.received_at <= window:
            return int(seen.exchange_id or 0)
        await repo.renew_received(conn, row_id=seen.id, exchange_id=exchange_id, at=now)
        return None
    try:
        async with conn.begin_nested():
            await repo.insert_received(conn, partner_id=partner.id, control=control, exchange_id=exchange_id, at=now)
    except IntegrityError:
        seen = await repo.received(conn, partner_id=partner.id, control=control)
        return int(seen.exchange_id or 0) if seen is not None else 0
    return None
