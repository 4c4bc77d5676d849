"""POHUB_SQLITE_GROUP_COMMIT reaches the server's Database, a bound below 1 is refused, and the default
is the one the docs name."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from pohub.api.app import create_app
from pohub.config import Settings


def test_a_bound_below_one_is_refused() -> None:
    with pytest.raises(ValidationError, match="sqlite_group_commit"):
        Settings(sqlite_group_commit=0)


def test_the_server_groups_by_the_setting(tmp_path: Path) -> None:
    for bound in (1, 5):
        settings = Settings(database_url=f"sqlite:///{tmp_path / f'{bound}.db'}", sqlite_group_commit=bound)
        app = create_app(settings)
        assert app.state.db._writes.group == bound


def test_the_default_is_the_documented_one() -> None:
    """Settings, Database and docs/operations.md's settings table name one default bound."""
    import re

    from pohub.db.engine import GROUP_COMMIT, Database

    table = (Path(__file__).parents[2] / "docs" / "operations.md").read_text()
    documented = re.search(r"^\| `POHUB_SQLITE_GROUP_COMMIT` \| (\d+) \|", table, re.MULTILINE)
    assert documented is not None
    default = Settings.model_fields["sqlite_group_commit"].default
    assert default == GROUP_COMMIT == int(documented.group(1)) == 8
    assert Database.__init__.__kwdefaults__["group_commit"] == GROUP_COMMIT
