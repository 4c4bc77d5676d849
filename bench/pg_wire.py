"""Round trips and statements a client sends PostgreSQL, counted on the wire (issue 15).

``WireCounter`` is a TCP proxy in front of the server that reads the frontend protocol as it passes:
every ``Sync`` (extended protocol) and ``Query`` (simple protocol) is one round trip (the client then
waits for ReadyForQuery); every ``Execute`` or ``Query`` is a statement, and a ``Parse`` names its
SQL. Nothing is changed on the way, so what it counts is what the driver sends: asyncpg's pipelined
executemany (many Bind/Execute, one Sync) counts as one round trip of many statements.

``python -m bench.pg_round_trips`` uses it to count what each kind of document costs.
"""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass, field

_UNTYPED_CODES = (80877103, 80877104)  # SSLRequest, GSSENCRequest: the client sends its startup next


@dataclass
class Trips:
    """What the clients sent since the last ``reset``."""

    round_trips: int = 0
    statements: int = 0
    sql: list[str] = field(default_factory=list)  # one entry per Execute/Query (the SQL it ran)


class WireCounter:
    def __init__(self, upstream_host: str = "127.0.0.1", upstream_port: int = 5432) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.trips = Trips()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> int:
        """Listen on a free local port; returns it."""
        self._server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def reset(self) -> Trips:
        """What was counted so far; counting starts again from zero."""
        trips, self.trips = self.trips, Trips()
        return trips

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        back = asyncio.create_task(_pipe(up_reader, writer))
        self._tasks.add(back)
        back.add_done_callback(self._tasks.discard)
        try:
            await self._frontend(reader, up_writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            up_writer.close()
            back.cancel()

    async def _frontend(self, reader: asyncio.StreamReader, out: asyncio.StreamWriter) -> None:
        while True:  # the startup phase: length-prefixed messages without a type byte
            head = await reader.readexactly(8)
            length, code = struct.unpack("!ii", head)
            out.write(head + await reader.readexactly(length - 8))
            await out.drain()
            if code not in _UNTYPED_CODES:
                break
        parsed: dict[bytes, str] = {}  # statement name -> SQL
        bound = b""  # the statement the last Bind named
        while True:
            head = await reader.readexactly(5)
            kind = head[:1]
            (length,) = struct.unpack("!i", head[1:])
            body = await reader.readexactly(length - 4)
            if kind == b"P":
                name, rest = body.split(b"\0", 1)
                parsed[name] = rest.split(b"\0", 1)[0].decode()
            elif kind == b"B":
                bound = body.split(b"\0", 2)[1]
            elif kind == b"E":
                self.trips.statements += 1
                self.trips.sql.append(parsed.get(bound, "?"))
            elif kind == b"Q":
                self.trips.statements += 1
                self.trips.round_trips += 1
                self.trips.sql.append(body.rstrip(b"\0").decode())
            elif kind == b"S":
                self.trips.round_trips += 1
            out.write(head + body)
            await out.drain()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()
