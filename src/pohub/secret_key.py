"""The installation's secret key: POHUB_SECRET_KEY when set, else a key generated once and kept in a
file beside the data (mode 0600), so no installation runs on a key that every other one shares.

It signs the dashboard's cookies and seals webhook secrets: losing it signs everyone out and voids
the stored webhook secrets, so the file belongs with the database in backups.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import secrets
from pathlib import Path

from sqlalchemy.engine import make_url

log = logging.getLogger("pohub.config")

# What POHUB_SECRET_KEY defaulted to before keys were generated per installation: still recognised,
# to open what was sealed with it and to refuse serving beyond loopback with it.
LEGACY_DEFAULT = "change-me-in-production"
SHARED_FALLBACK_FILE = Path("var") / "pohub-secret.key"


def for_database(database_url: str, path: Path | None = None) -> str:
    """The key of the installation using ``database_url``, kept in ``path`` or the default file."""
    shared = make_url(database_url).get_backend_name() != "sqlite"
    return load_or_create(path or default_file(database_url), shared_database=shared)


def default_file(database_url: str) -> Path:
    """Beside a SQLite database (``pohub.db`` → ``pohub.db.key``); for a server database, ./var."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        db = Path(url.database)
        return db.with_name(db.name + ".key")
    return SHARED_FALLBACK_FILE


def load_or_create(path: Path, *, shared_database: bool) -> str:
    """The key in ``path``, made first if there is none. Concurrent first starts agree on one key: the
    file appears whole (written aside, then linked into place) and only the first link wins."""
    with contextlib.suppress(FileNotFoundError):
        return _read(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    aside = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48) + "\n")
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(aside, path)
        except FileExistsError:
            return _read(path)  # another process made it first
    finally:
        aside.unlink(missing_ok=True)
    say = log.warning if shared_database else log.info
    say(
        "generated this installation's secret key in %s (mode 0600); back it up with the database%s",
        path,
        "; every process using this database, on any machine, needs the same key: copy the file or set POHUB_SECRET_KEY"
        if shared_database
        else "",
    )
    return _read(path)


def _read(path: Path) -> str:
    key = path.read_text().strip()
    if not key:
        raise ValueError(f"{path} is empty: delete it to have a key generated, or set POHUB_SECRET_KEY")
    if path.stat().st_mode & 0o077:
        log.warning("%s can be read by other users: chmod 600 it", path)
    return key


def is_loopback(host: str) -> bool:
    if host.strip("[]").casefold() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name: it may resolve to anything


def serving_refusal(secret_key: str, host: str) -> str | None:
    """Why ``pohub serve`` must not listen on ``host`` with this key, or None."""
    if secret_key == LEGACY_DEFAULT and not is_loopback(host):
        return (
            f"POHUB_SECRET_KEY is the old published default {LEGACY_DEFAULT!r}: anyone could forge dashboard "
            f"sessions and open webhook secrets. Refusing to listen on {host}. Unset it (a key is generated "
            "beside the data) or set a long random value."
        )
    return None
