"""The token bucket on a clock the test moves: the platform's published search limit (1 every 2 s,
burst 25), waiters holding their own future slots, and refilling up to the burst only."""

from __future__ import annotations

import pytest

from pohub.client.throttle import SEARCH_DEFAULT, Limits, RateLimit, Throttle, TokenBucket


class Now:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_a_burst_then_one_every_two_seconds() -> None:
    now = Now()
    bucket = TokenBucket(SEARCH_DEFAULT, now)
    assert [bucket.reserve() for _ in range(25)] == [0.0] * 25
    # Reserved at the same instant, each later caller waits for its own slot: 2 s, 4 s, 6 s.
    assert [bucket.reserve() for _ in range(3)] == pytest.approx([2.0, 4.0, 6.0])
    now.t = 6.0  # they have all gone out; the next slot is 2 s away
    assert bucket.reserve() == pytest.approx(2.0)


def test_a_quiet_spell_refills_up_to_the_burst_only() -> None:
    now = Now()
    bucket = TokenBucket(RateLimit(1.0, 3), now)
    assert [bucket.reserve() for _ in range(3)] == [0.0, 0.0, 0.0]
    now.t = 3600.0
    assert [bucket.reserve() for _ in range(4)] == pytest.approx([0.0, 0.0, 0.0, 1.0])


def test_each_kind_of_call_has_its_own_bucket_and_off_means_none() -> None:
    now = Now()
    throttle = Throttle(Limits(search=RateLimit(1.0, 1), bulk=RateLimit(1.0, 1), other=None), now)
    assert (throttle.reserve("search"), throttle.reserve("search")) == (0.0, pytest.approx(1.0))
    assert throttle.reserve("bulk") == 0.0
    assert [throttle.reserve("other") for _ in range(100)] == [0.0] * 100
    assert all(Throttle(Limits.off(), now).reserve("search") == 0.0 for _ in range(100))


def test_free_says_whether_a_call_could_go_now_without_taking_a_token() -> None:
    now = Now()
    throttle = Throttle(Limits(search=None, bulk=RateLimit(1.0, 2), other=None), now)
    assert throttle.free("bulk") and throttle.free("bulk")  # asking takes nothing
    assert (throttle.reserve("bulk"), throttle.reserve("bulk")) == (0.0, 0.0)
    assert not throttle.free("bulk")
    now.t = 1.0
    assert throttle.free("bulk")
    assert throttle.free("search") and throttle.free("other")  # unlimited
