"""Where GCRA's one value per bucket lives: the database (default) or Redis (POHUB_REDIS_URL).
Either way one atomic step per request, so every process and machine counts the same buckets."""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import case, select
from sqlalchemy.dialects import postgresql, sqlite

from pohub.db.engine import Database
from pohub.ops.limits import Decision, Limit, decide
from pohub.ops.models import rate_limit_buckets

B = rate_limit_buckets.c


class Store(Protocol):
    async def take(self, bucket: str, *, now: float, limit: Limit) -> Decision: ...

    async def close(self) -> None: ...


class DatabaseStore:
    """One upsert per request. It moves the TAT on only when the request is allowed (the
    ON CONFLICT ... WHERE), and returns a row only then; a refusal reads the TAT for Retry-After."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._insert = sqlite.insert if db.sqlite else postgresql.insert

    async def take(self, bucket: str, *, now: float, limit: Limit) -> Decision:
        stmt = (
            self._insert(rate_limit_buckets)
            .values(bucket=bucket, tat=now + limit.interval)
            .on_conflict_do_update(
                index_elements=[B.bucket],
                set_={"tat": case((B.tat < now, now), else_=B.tat) + limit.interval},
                where=(B.tat - now) <= limit.tolerance,
            )
            .returning(B.tat)
        )
        async with self.db.write() as conn:
            moved = (await conn.execute(stmt)).first()
            if moved is not None:
                return Decision(True)
            tat = (await conn.execute(select(B.tat).where(B.bucket == bucket))).scalar_one_or_none()
        decision, _ = decide(tat, now=now, limit=limit)
        # Another process may have moved the bucket in between; a refusal stays a refusal.
        return decision if not decision.allowed else Decision(False, limit.interval)

    async def close(self) -> None:
        return None


# KEYS[1] bucket; ARGV now, interval, tolerance. Returns {1, 0} allowed or {0, retry_after}.
_GCRA_LUA = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or ARGV[1])
if tat < now then tat = now end
if tat - now > tolerance then
  return {0, tostring(tat - now - tolerance)}
end
local new = tat + interval
redis.call('SET', KEYS[1], tostring(new), 'PX', math.ceil((new - now) * 1000) + 1000)
return {1, '0'}
"""


class RedisStore:
    def __init__(self, url: str, *, prefix: str = "pohub:rl:") -> None:
        import redis.asyncio as aioredis

        self.client: Any = aioredis.from_url(url)
        self.prefix = prefix
        self.script: Any = self.client.register_script(_GCRA_LUA)

    async def take(self, bucket: str, *, now: float, limit: Limit) -> Decision:
        allowed, retry = await self.script(
            keys=[self.prefix + bucket], args=[repr(now), repr(limit.interval), repr(limit.tolerance)]
        )
        return Decision(True) if int(allowed) == 1 else Decision(False, float(retry))

    async def close(self) -> None:
        await self.client.aclose()
