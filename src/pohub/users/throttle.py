"""Sign-in throttling, a pure function of the failures so far and the clock (so tests set the time).

Five wrong passwords in a row are free (typos happen); each further one locks the account for
twice as long as the last, from 30 seconds up to 15 minutes. A right password resets the count. While
locked, a sign-in is refused without checking the password, so guessing costs the attacker time,
not the server CPU.
"""

from __future__ import annotations

from datetime import datetime, timedelta

FREE_FAILURES = 5
FIRST_LOCK = timedelta(seconds=30)
LONGEST_LOCK = timedelta(minutes=15)


def lock_after(failures: int, *, now: datetime) -> datetime | None:
    """When the account unlocks after ``failures`` consecutive wrong passwords (None: not locked)."""
    if failures < FREE_FAILURES:
        return None
    doublings = min(failures - FREE_FAILURES, 10)
    lock: timedelta = min(FIRST_LOCK * (2**doublings), LONGEST_LOCK)
    return now + lock


def wait_seconds(locked_until: datetime | None, *, now: datetime) -> int:
    """Whole seconds until the account may try again (0: it may now)."""
    if locked_until is None or locked_until <= now:
        return 0
    return int((locked_until - now).total_seconds() + 0.999)
