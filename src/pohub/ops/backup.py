"""`pohub backup FILE` and `pohub restore FILE`.

SQLite: the online backup API, in one step, so the copy is one consistent snapshot even while
servers write (WAL lets them go on writing meanwhile). PostgreSQL: pg_dump's custom format (a
consistent snapshot too) and pg_restore; the password travels in PGPASSWORD, never on a command line.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from pohub.db.engine import async_url, is_sqlite

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


class BackupError(Exception):
    pass


@dataclass(frozen=True)
class Result:
    path: Path
    bytes: int
    detail: str


def _sqlite_path(url: str) -> Path:
    database = make_url(async_url(url)).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _copy_sqlite(source: Path, target: Path) -> None:
    """source -> target through the backup API, written beside the target and renamed into place."""
    tmp = target.with_name(target.name + ".part")
    tmp.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(tmp)
    try:
        src.backup(dst)  # pages=-1: one step, one read transaction, one snapshot
        check = dst.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"the copy fails SQLite's integrity check: {check}")
    finally:
        dst.close()
        src.close()
    os.replace(tmp, target)


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password, and the environment that carries the password."""
    u: URL = make_url(async_url(url))
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    plain = u.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} is not installed: install the PostgreSQL client tools (Debian: postgresql-client), "
            "or see docs/operations.md for backing up with your own tools"
        )
    return path


def _run(cmd: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{Path(cmd[0]).name} failed: {done.stderr.strip()[-2000:]}")


def backup(url: str, target: Path) -> Result:
    """Copy the database at ``url`` into ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if is_sqlite(async_url(url)):
        source = _sqlite_path(url)
        if not source.exists():
            raise BackupError(f"no SQLite database at {source}")
        _copy_sqlite(source, target)
        return Result(target, target.stat().st_size, f"SQLite {source} copied with the online backup API")
    conninfo, env = _libpq(url)
    tmp = target.with_name(target.name + ".part")
    _run([_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={tmp}", f"--dbname={conninfo}"], env)
    os.replace(tmp, target)
    return Result(target, target.stat().st_size, "PostgreSQL dumped with pg_dump (custom format)")


def backup_kind(path: Path) -> str:
    with path.open("rb") as f:
        head = f.read(16)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{path} is neither a pohub SQLite backup nor a pg_dump custom-format file")


def restore(url: str, source: Path, *, force: bool = False) -> Result:
    """Restore ``source`` into the database at ``url``: a new one, unless ``force``."""
    if not source.exists():
        raise BackupError(f"no backup at {source}")
    kind = backup_kind(source)
    target_sqlite = is_sqlite(async_url(url))
    if (kind == "sqlite") != target_sqlite:
        raise BackupError(f"{source} is a {kind} backup but the database URL is not {kind}")
    if target_sqlite:
        target = _sqlite_path(url)
        if target.exists() and target.stat().st_size > 0 and not force:
            raise BackupError(f"{target} exists: restore into a new file, or pass --force (with every server stopped)")
        target.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("-wal", "-shm"):
            Path(str(target) + suffix).unlink(missing_ok=True)
        _copy_sqlite(source, target)
        return Result(target, target.stat().st_size, f"SQLite {target} restored")
    conninfo, env = _libpq(url)
    cmd = [_tool("pg_restore"), "--no-owner", "--exit-on-error", "--single-transaction", f"--dbname={conninfo}"]
    if force:
        cmd += ["--clean", "--if-exists"]
    _run([*cmd, str(source)], env)
    return Result(source, source.stat().st_size, "PostgreSQL restored with pg_restore")
