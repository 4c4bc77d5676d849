"""POHUB_SQLITE_GROUP_COMMIT reaches the server's Database, and a bound below 1 is refused."""

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
