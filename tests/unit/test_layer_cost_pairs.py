"""``bench.layer_cost --only``: which batches run, in their order (an acknowledgement batch needs the
POs its create batch made)."""

from __future__ import annotations

from bench.layer_cost import BATCHES, chosen


def test_without_only_every_batch_runs() -> None:
    assert chosen(None) == list(range(len(BATCHES)))


def test_only_get_is_the_get_pair() -> None:
    assert [BATCHES[i] for i in chosen(["get"])] == ["GET one PO, app", "GET one PO, db.read() + order_json"]


def test_ack_brings_create_in_order() -> None:
    assert chosen(["ack"]) == [2, 3, 4, 5]
    assert chosen(["ack", "get"]) == list(range(6))
