from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from pohub.db.engine import Database
from tests.support import LiveServer, Trade, backends, database_url, live_server, make_trade


@pytest.fixture(scope="session", params=backends())
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def db_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with database_url(backend, tmp_path_factory.mktemp(f"db-{backend}")) as url:
        yield url


@pytest.fixture(scope="session")
def server(db_url: str, backend: str) -> Iterator[LiveServer]:
    with live_server(db_url, backend) as live:
        yield live


@pytest.fixture
def trade(server: LiveServer) -> Trade:
    """A buyer and a supplier of their own (no state shared with other tests), connected."""
    return make_trade(server)


@pytest.fixture
def output_dir(request: pytest.FixtureRequest) -> Path:
    path = Path("test-output") / request.node.name
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    """A Database on the session's database with one connection (a test file may define its own)."""
    database = Database(db_url, pool_size=1)
    try:
        yield database
    finally:
        await database.dispose()
