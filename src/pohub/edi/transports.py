"""How interchanges travel besides ``POST /edi``: AS2 (``POST /as2`` in, the ``as2`` channel out,
through ``pohub.edi.as2``) and drop folders (``<folder>/in`` picked up by the worker, ``<folder>/out``
written atomically: write a temporary file, then rename it)."""

from __future__ import annotations

import base64
import logging
import os
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.core import jsonio
from pohub.core.errors import PohubError
from pohub.core.retry import RetryPolicy
from pohub.db.engine import Database
from pohub.edi import receive
from pohub.edi.as2 import (
    As2TransportError,
    MdnError,
    MdnMode,
    PartnerProfile,
    build_message,
    check_mdn,
    load_certificate,
    load_private_key,
    post_mdn,
    post_message,
)
from pohub.edi.as2.mdn import Mdn
from pohub.edi.as2.mime import Headers
from pohub.edi.as2_ids import awaiting
from pohub.edi.as2_ids import message_id as as2_message_id
from pohub.edi.partners import service as partners
from pohub.edi.partners.models import edi_partners
from pohub.edi.partners.service import Profile
from pohub.exchanges.outbound import Channel, Outcome

log = logging.getLogger("pohub.edi")
P = edi_partners.c
MDN_CHANNEL = "as2-mdn"


def _read(path: Any) -> bytes | None:
    return Path(str(path)).read_bytes() if path else None


def as2_profile(p: Profile, *, content_type: str = "application/edi-x12") -> PartnerProfile:
    """The AS2 settings of a partner profile. Certificates and keys are named by file path in
    As2Settings (``OurCertificateFile``, ``OurKeyFile``, ``PartnerCertificateFile``), never stored
    in the database."""
    s = p.as2_settings
    our_cert, our_key, their_cert = (
        _read(s.get(k)) for k in ("OurCertificateFile", "OurKeyFile", "PartnerCertificateFile")
    )
    return PartnerProfile(
        our_as2_id=p.as2_our_id or "",
        partner_as2_id=p.as2_their_id or "",
        partner_url=p.as2_url,
        our_certificate=load_certificate(our_cert) if our_cert else None,
        our_key=load_private_key(our_key) if our_key else None,
        partner_certificate=load_certificate(their_cert) if their_cert else None,
        sign=bool(s.get("Sign")),
        encrypt=bool(s.get("Encrypt")),
        digest=str(s.get("Digest") or "sha256"),
        mdn=MdnMode.ASYNC if s.get("Mdn") == "async" else MdnMode.SYNC,
        async_mdn_url=str(s["AsyncMdnUrl"]) if s.get("AsyncMdnUrl") else None,
        mdn_signed=bool(s.get("MdnSigned")),
        content_type=content_type,
        require_signed=bool(s.get("RequireSigned")),
        require_encrypted=bool(s.get("RequireEncrypted")),
    )


async def as2_partner(conn: AsyncConnection, *, as2_from: str, as2_to: str) -> Profile | None:
    stmt = select(edi_partners).where(P.transport == "as2", P.as2_their_id == as2_from, P.as2_our_id == as2_to)
    row = (await conn.execute(stmt)).first()
    return None if row is None else partners.profile_of(row)


async def _profiles(conn: AsyncConnection, rows: list[Any]) -> dict[int, Profile]:
    ids = {r.endpoint_id for r in rows if r.endpoint_id is not None}
    return {i: await partners.profile(conn, partner_id=i) for i in ids}


def _retry(settings: Any) -> RetryPolicy:
    return RetryPolicy(
        attempts=int(getattr(settings, "edi_max_attempts", 8)),
        base=float(getattr(settings, "edi_backoff_seconds", 10.0)),
        cap=float(getattr(settings, "edi_backoff_max_seconds", 3600.0)),
        max_retry_after=float(getattr(settings, "edi_backoff_max_seconds", 3600.0)),
    )


async def deliver_as2(client: httpx.AsyncClient, row: Any, profiles: dict[int, Profile]) -> Outcome:
    """POST one interchange to the partner's AS2 URL and check the MDN's MIC against ours."""
    partner = profiles.get(row.endpoint_id)
    if partner is None:
        return Outcome(status_code=None, error="the EDI partner profile is gone", final=True)
    try:
        profile = as2_profile(partner, content_type=row.content_type or "application/edi-x12")
        message_id = as2_message_id(row.id, profile.our_as2_id) if profile.mdn is MdnMode.ASYNC else None
        message = build_message(profile, bytes(row.raw), filename=f"pohub-{row.id}.edi", message_id=message_id)
    except (ValueError, OSError) as exc:  # a setting or a certificate file that is wrong: fix, then Retry
        return Outcome(status_code=None, error=f"AS2 settings: {exc}", final=True)
    try:
        mdn = await post_message(client, profile, message)
    except As2TransportError as exc:
        return Outcome(status_code=None, error=str(exc))
    except MdnError as exc:
        return Outcome(status_code=200, error=f"MDN: {exc}", final=True)
    if profile.mdn is MdnMode.ASYNC:  # confirmed later, when the MDN comes to POST /as2 (edi/as2_mdn.py)
        return Outcome(status_code=200, error=None, body=awaiting(message.message_id, message.mics))
    if mdn is not None:
        try:
            check_mdn(mdn, message)
        except MdnError as exc:
            return Outcome(status_code=200, error=f"MDN: {exc}", final=True)
    return Outcome(status_code=200, error=None, body=f"MDN ok, MIC {message.mic}" if mdn else "sent, no MDN asked")


def stored_mdn(mdn: Mdn, url: str) -> bytes:
    """An asynchronous MDN as its outbound exchange keeps it: where it goes, its headers and body."""
    return jsonio.dumps(
        {
            "url": url,
            "message_id": mdn.message_id,
            "original_message_id": mdn.original_message_id,
            "disposition": mdn.disposition,
            "signed": mdn.signed,
            "headers": [list(h) for h in mdn.headers.items()],
            "body": base64.b64encode(mdn.body).decode(),
        }
    )


async def deliver_mdn(client: httpx.AsyncClient, row: Any, _context: Any) -> Outcome:
    """POST an asynchronous MDN to the Receipt-Delivery-Option URL the sender gave."""
    stored = jsonio.loads(bytes(row.raw))
    mdn = Mdn(
        message_id=stored["message_id"],
        original_message_id=stored["original_message_id"],
        disposition=stored["disposition"],
        headers=Headers([(str(k), str(v)) for k, v in stored["headers"]]),
        body=base64.b64decode(stored["body"]),
        signed=bool(stored["signed"]),
    )
    try:
        await post_mdn(client, stored["url"], mdn)
    except As2TransportError as exc:
        return Outcome(status_code=None, error=str(exc))
    return Outcome(status_code=200, error=None)


def _out_name(row: Any) -> str:
    return f"pohub-{row.id}-{row.kind or 'edi'}.edi"


async def deliver_folder(_client: httpx.AsyncClient, row: Any, profiles: dict[int, Profile]) -> Outcome:
    """Write one interchange to the partner's out/ folder: to a temporary name first, then renamed,
    so that whoever picks files up (an SFTP job, a VAN client) never sees half a file."""
    partner = profiles.get(row.endpoint_id)
    if partner is None or not partner.folder:
        return Outcome(status_code=None, error="the EDI partner has no folder", final=True)
    out = Path(partner.folder) / "out"
    try:
        out.mkdir(parents=True, exist_ok=True)
        final = out / _out_name(row)
        temp = out / f".{final.name}.{uuid.uuid4().hex[:8]}.tmp"
        with temp.open("wb") as f:
            f.write(bytes(row.raw))
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, final)
    except OSError as exc:
        return Outcome(status_code=None, error=f"{out}: {exc}")
    return Outcome(status_code=200, error=None, body=str(final))


def channels(settings: Any) -> list[Channel]:
    retry = _retry(settings)
    return [
        Channel("as2", deliver_as2, retry, load=_profiles),
        Channel(MDN_CHANNEL, deliver_mdn, retry),
        Channel("folder", deliver_folder, retry, load=_profiles),
    ]


async def pick_up(db: Database) -> int:
    """Take every file waiting in each folder partner's in/ folder: each is an interchange received
    (an exchange on the ``folder`` channel), then moved to in/done/ (or in/refused/). A file taken
    twice (the process died before the move) is recognised as a duplicate by its control number."""
    async with db.read() as conn:
        rows = (await conn.execute(select(edi_partners).where(P.transport == "folder"))).all()
    taken = 0
    for partner in [partners.profile_of(r) for r in rows]:
        inbox = Path(partner.folder or "") / "in"
        if not partner.folder or not inbox.is_dir():
            continue
        for path in sorted(p for p in inbox.iterdir() if p.is_file() and not p.name.startswith(".")):
            if path.suffix == ".tmp":
                continue
            raw = path.read_bytes()
            where = "done"
            try:
                summary, _id = await receive.take(
                    db, channel="folder", company_id=partner.company_id, raw=raw, content_type=None
                )
                where = "done" if summary.accepted else "refused"
            except PohubError as exc:
                log.warning("edi folder %s: %s refused: %s", inbox, path.name, exc)
                where = "refused"
            target = inbox / where
            target.mkdir(exist_ok=True)
            os.replace(path, target / path.name)
            taken += 1
    return taken
