"""wire.fill: every slot of a current template is filled, and a slot it does not know sends the order
the slow way (None) rather than into a wrong answer or a 500."""

from __future__ import annotations

from types import SimpleNamespace

from pohub.documents import wire


def _template(text: str, lines: int = 1) -> str:
    return f"{wire.VERSION}:{lines}:{text}"


def test_slots_are_filled_untouched_and_touched() -> None:
    text = '{"K":\x01k\x01,"S":\x01s\x01,"L":[{\x01q0\x01}],"A":\x01a0\x01}'
    assert wire.fill(_template(text), key=7, status=150) == (
        '{"K":"7","S":150,"L":[{0,"QuantityBackordered":0,"QuantityCancelled":0,"QuantityShipped":0,'
        '"QuantityInvoiced":0}],"A":0}'
    )
    line = SimpleNamespace(
        position=0, changed_at=None, qty_accepted=5, qty_backordered=1, qty_cancelled=0, qty_shipped=2, qty_invoiced=0
    )
    assert wire.fill(_template(text), key=7, status=500, touched=[line]) == (
        '{"K":"7","S":500,"L":[{5,"QuantityBackordered":1,"QuantityCancelled":0,"QuantityShipped":2,'
        '"QuantityInvoiced":0}],"A":5}'
    )


def test_a_slot_it_does_not_know_is_left_to_the_slow_way() -> None:
    assert wire.fill(_template('{"K":\x01k\x01,"X":\x01x9\x01}'), key=7, status=150) is None
    # A line past the template's count has no slot either.
    assert wire.fill(_template('{"K":\x01k\x01,"A":\x01a1\x01}'), key=7, status=150) is None
    assert wire.fill(_template('{"K":\x01k\x01}'), key=7, status=150) == '{"K":"7"}'
