"""Every field of the published Logicbroker definitions is spelled on the wire exactly as the
platform spells it (PartnerPO, SupplierSKU, QuantityUOM...), and the seed's order parses."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from pydantic import BaseModel

from pohub.core import jsonio
from pohub.core.errors import BadRequest
from pohub.documents import logicbroker
from pohub.documents.types import line_key
from tests.support import FIXTURES

DEFINITIONS = (FIXTURES / "reference" / "logicbroker-v3-definitions.md").read_text()
MODELS = [
    "SalesOrder",
    "OrderLine",
    "Acknowledgement",
    "AckLine",
    "Shipment",
    "ShipmentInfo",
    "Invoice",
    "ItemIdentifier",
    "EntityIdentifier",
    "Contact",
    "Discount",
    "Tax",
    "PaymentTerm",
    "DataAttribute",
]


def published_fields(name: str) -> set[str]:
    section = DEFINITIONS.split(f"## {name}\n", 1)[1].split("\n## ", 1)[0]
    rows = [r for r in section.splitlines() if r.startswith("| ") and not r.startswith("| field")]
    return {r.split("|")[1].strip().rstrip("*") for r in rows if "---" not in r}


@pytest.mark.parametrize("name", MODELS)
def test_aliases_match_the_published_definitions(name: str) -> None:
    model: type[BaseModel] = getattr(logicbroker, name)
    aliases = {f.alias for f in model.model_fields.values()}
    assert aliases == published_fields(name)


def test_irregular_names_survive() -> None:
    order = logicbroker.SalesOrder.model_validate(json.loads((FIXTURES / "seed-002-order.json").read_text()))
    assert order.partner_po == "1599999999"
    assert order.order_lines[0].item_identifier.supplier_sku == "49-98760"
    assert order.order_lines[0].quantity_uom == "EA"
    dumped = order.model_dump(by_alias=True, exclude_none=True)
    assert "PartnerPO" in dumped and "SupplierSKU" in dumped["OrderLines"][0]["ItemIdentifier"]


def test_line_numbers_01_1_and_int_1_are_one_line() -> None:
    assert line_key("01") == line_key("1") == line_key(str(1)) == "1"
    assert line_key("A-1") == line_key("a-1")


def test_money_is_exact_decimal_in_and_json_number_out() -> None:
    data = jsonio.loads(b'{"Price": 0.1000000000000000055511151231257827, "Qty": 3}')
    assert data["Price"] == Decimal("0.1000000000000000055511151231257827")
    assert jsonio.dumps({"Price": Decimal("31.020")}) == b'{"Price":31.020}'


def test_malformed_json_names_the_place() -> None:
    with pytest.raises(BadRequest) as err:
        jsonio.loads(b'{"LineNumber": 01}')
    assert "line 1 column" in err.value.errors[0].error


def test_integers_beyond_64_bits_round_trip() -> None:
    data = jsonio.loads(b'{"Unknown": -799420817976491769856}')
    assert jsonio.dumps(data) == b'{"Unknown":-799420817976491769856}'
    assert len(jsonio.content_hash(data)) == 64


def test_float_safe_tells_which_documents_the_fast_path_may_render() -> None:
    assert jsonio.float_safe(jsonio.loads(b'{"Price": 31.02, "Qty": 5, "Lines": [{"Tax": 3.20}]}'))
    assert not jsonio.float_safe(jsonio.loads(b'{"Price": 0.1000000000000000055511151231257827}'))
    assert not jsonio.float_safe(jsonio.loads(b'{"Big": 99999999999999999999}'))


def test_only_ascii_digits_make_a_line_number_or_key() -> None:
    from pohub.documents.repository import parse_key

    assert line_key("¹") == "¹" and line_key("٣") == "٣"  # kept as names, never read as numbers
    assert parse_key("¹") is None and parse_key("12") == 12
