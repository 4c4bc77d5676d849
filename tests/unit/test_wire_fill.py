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


def test_a_stored_template_fills_as_the_order_renders() -> None:
    """template's stored form (where each slot stands) gives what render and conform write, with
    lines untouched and touched."""
    import json
    from datetime import UTC, datetime

    from pohub.core import jsonio
    from pohub.documents import conform, render

    lines = [
        {"LineNumber": str(n), "Quantity": n, "Price": 1.5, "ItemIdentifier": {"SupplierSKU": f"S{n}"}} for n in (1, 2)
    ]
    values = {
        "kind": "order",
        "raw": json.dumps({"OrderNumber": "T-1", "PartnerPO": "T-1", "OrderLines": lines}),
        "document_date": datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
        "sender_company_id": 3,
        "receiver_company_id": 4,
        "partner_po": "T-1",
        "details": None,
    }
    stored = wire.template(values)
    assert stored is not None and "\x01" not in stored
    figures = dict.fromkeys(wire.LINE_FIGURES, 0)
    touched = SimpleNamespace(position=1, changed_at=None, **{**figures, "qty_accepted": 2, "qty_shipped": 12})
    for key, status, changed in [(41, 150, []), (42, 500, [touched])]:
        row = SimpleNamespace(**values, float_safe=True, id=key, status=status, source_key=None, link_key=None)
        every = [SimpleNamespace(position=p, changed_at=None, **figures) for p in range(2)]
        every[1:] = changed or every[1:]
        expected = jsonio.dumps(conform.document("order", render.render(row, every))).decode()
        assert wire.fill(stored, key=key, status=status, touched=changed) == expected
