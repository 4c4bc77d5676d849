from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import database_url


@pytest.fixture
def migrated(backend: str, tmp_path: Path) -> Iterator[str]:
    """A fresh database of the test's backend, migrated to the newest revision."""
    with database_url(backend, tmp_path) as url:
        yield url
