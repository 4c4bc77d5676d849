"""The hub's answers in the definitions' formats, and what the client reads back (pure functions)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pohub.api import answers
from pohub.client.calls import date_time, read_status, validate
from pohub.client.errors import AnswerError
from pohub.client.models import SalesOrderIn
from pohub.core import jsonio
from pohub.documents.logicbroker import SalesOrder


@pytest.mark.parametrize(
    ("given", "answered"),
    [
        ("2013-10-31", "2013-10-31T00:00:00Z"),
        ("2016-04-22T20:45:22.79", "2016-04-22T20:45:22.79Z"),
        ("2015-11-07T20:51:56.728Z", "2015-11-07T20:51:56.728Z"),
        ("2026-12-01T10:00:00+02:00", "2026-12-01T10:00:00+02:00"),
        ("2026-12-01 10:00", "2026-12-01T10:00:00+00:00"),
        ("20261201", "2026-12-01T00:00:00+00:00"),
        ("not a date", "not a date"),
    ],
)
def test_dates_are_answered_as_rfc3339_date_times(given: str, answered: str) -> None:
    assert answers.date_time(given) == answered


def test_typed_fields_are_written_in_their_type_and_nulls_left_out() -> None:
    body = jsonio.loads(
        b'{"PartnerPO": "1599999999", "SalesRequirement": "0", "Note": null, "Unknown": null,'
        b' "PaymentTerm": {"DueDate": "0001-01-01", "PayInNumberOfDays": "30"},'
        b' "OrderLines": [{"LineNumber": 2, "Price": "31.020", "Quantity": 5, "ItemIdentifier": {"UPC": null}}]}'
    )
    out = answers.document("order", body)
    assert out["PartnerPO"] == "1599999999" and out["SalesRequirement"] == 0 and "Note" not in out
    assert out["Unknown"] is None  # not the definitions' field: passed through as received
    assert out["PaymentTerm"] == {"DueDate": "0001-01-01T00:00:00Z", "PayInNumberOfDays": 30}
    line = out["OrderLines"][0]
    assert line["LineNumber"] == "2" and line["Price"] == Decimal("31.020") and line["ItemIdentifier"] == {}


def test_single_documents_sit_where_the_definitions_put_them() -> None:
    assert answers.single("acknowledgement", {"AckLines": []}) == {"AckLines": []}
    assert answers.single("shipment", {"ShipmentLines": []}) == {"Shipment": {"ShipmentLines": []}}
    assert set(answers.single("order", {"OrderLines": []})) == {"SalesOrder"}


def test_the_client_keeps_any_number_the_definitions_allow_exactly() -> None:
    data = jsonio.loads(
        b'{"TotalAmount": 8.98846567431158e307, "OrderLines": [{"Price": -1.234567890123456789012345,'
        b' "ItemIdentifier": {}}]}'
    )
    with pytest.raises(Exception, match="20 digits"):
        SalesOrder.model_validate(data)  # the hub's own limits
    order = validate(SalesOrderIn, data)
    assert isinstance(order, SalesOrder)
    assert order.total_amount == Decimal("8.98846567431158E+307")
    assert order.order_lines[0].price == Decimal("-1.234567890123456789012345")


def test_an_answer_that_does_not_fit_names_the_field() -> None:
    with pytest.raises(AnswerError) as caught:
        validate(SalesOrderIn, {"OrderLines": [{"Quantity": "many", "ItemIdentifier": {}}]})
    assert caught.value.issues[0].field == "OrderLines[0].Quantity"


def test_order_status_reads_the_code_or_the_name() -> None:
    assert read_status({"Status": "Acknowledged", "StatusCode": 200}) == 200
    assert read_status({"Status": "Ready to Ship"}) == 500
    assert read_status({"Status": "600"}) == 600
    with pytest.raises(AnswerError, match=r"Body\.Status"):
        read_status({"Status": "string", "ErrorMessage": "string"})


def test_search_bounds_carry_an_offset() -> None:
    from datetime import date, datetime

    assert date_time(date(2026, 12, 1)) == "2026-12-01T00:00:00+00:00"
    assert date_time(datetime(2026, 12, 1, 8, 30)) == "2026-12-01T08:30:00+00:00"
