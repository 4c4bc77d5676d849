"""`pohub migrate` says what it did: on a new database, every revision it applied; then that nothing
was left to apply."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from pohub.db.migrate import alembic_config
from pohub.documents import wire
from tests.support import PG_ENV, database_url, sql


def empty_database(backend: str, tmp_path: Path) -> AbstractContextManager[str]:
    """A database with no tables at all (the support fixtures hand out migrated ones)."""
    return database_url(backend, tmp_path, revision=None)


def migrate(url: str) -> str:
    env = {**os.environ, "POHUB_DATABASE_URL": url, "COLUMNS": "200"}
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "pohub"), "migrate"], env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_migrate_names_the_revisions_it_applied(backend: str, tmp_path: Path) -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    revisions = [rev.revision for rev in reversed(list(script.walk_revisions()))]  # oldest first
    assert len(revisions) >= 2
    with empty_database(backend, tmp_path) as url:
        first = migrate(url)
        assert "up to date" not in first
        assert f"applied {len(revisions)} migration(s)" in first and f"now at revision {revisions[-1]}" in first
        listed = [line.split()[0] for line in first.splitlines() if line.startswith("  ")]
        assert listed == revisions, first
        again = migrate(url)
        assert "up to date" in again and revisions[-1] in again and "applied" not in again


def test_migrate_says_to_create_a_missing_postgresql_database() -> None:
    if not os.environ.get(PG_ENV):
        pytest.skip(f"needs PostgreSQL ({PG_ENV})")
    name = f"pohub_never_created_{uuid.uuid4().hex[:8]}"
    url = make_url(os.environ[PG_ENV]).set(database=name).render_as_string(hide_password=False)
    env = {**os.environ, "POHUB_DATABASE_URL": url, "COLUMNS": "300"}
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "pohub"), "migrate"], env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"has no database '{name}'" in proc.stdout and "createdb" in proc.stdout and name in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


def test_migrate_renders_order_templates_that_are_missing_or_stale(backend: str, tmp_path: Path) -> None:
    with empty_database(backend, tmp_path) as url:
        migrate(url)
        env = {**os.environ, "POHUB_DATABASE_URL": url, "POHUB_SECRET_KEY": uuid.uuid4().hex * 2}
        demo = subprocess.run(
            [str(Path(sys.executable).parent / "pohub"), "demo", "--orders", "3"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert demo.returncode == 0, demo.stdout + demo.stderr
        orders = sql(url, "SELECT id FROM documents WHERE kind = 'order' AND wire IS NOT NULL")
        assert len(orders) >= 3
        first, *rest = sorted(o[0] for o in orders)
        # One from an older renderer, the others gone (as rows loaded around pohub have none).
        sql(url, f"UPDATE documents SET wire = 'older:' || wire WHERE id = {first}")
        sql(url, "UPDATE documents SET wire = NULL WHERE id IN (" + ",".join(map(str, rest)) + ")")
        out = migrate(url)
        assert f"rendered {len(orders)} order template(s)" in out, out
        current = sql(url, f"SELECT count(*) FROM documents WHERE kind = 'order' AND wire LIKE '{wire.VERSION}:%'")
        assert current[0][0] == len(orders)
        assert "rendered" not in migrate(url)
