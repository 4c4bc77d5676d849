"""The start-up objects are frozen out of the cyclic collector's reach once the app serves."""

from __future__ import annotations

import gc
from pathlib import Path

from tests.ops.helpers import make_app, serve
from tests.support import database_url


def test_serving_app_has_frozen_its_start_up_objects(tmp_path: Path) -> None:
    with database_url("sqlite", tmp_path) as url, serve(make_app(url), "sqlite"):
        # Thousands of objects (modules, routes, statements), not a handful.
        assert gc.get_freeze_count() > 10_000
