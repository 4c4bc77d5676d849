"""The agent's whole flow (acknowledge, ship, invoice, run --once) against Logicbroker's published v3
document: a ``prism mock --errors`` of it (static, with and without examples, and dynamic with
several seeds: answers anywhere in what the definitions allow), and ``prism proxy --errors`` in front
of pohub's own hub. Prism refuses any request that breaks the document (422), and the test fails on
anything it logs; the agent must never crash, and must name the PO and the field of whatever it
cannot work on."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from pohub.api import answers
from pohub.client import AsyncClient, ClientOptions, Limits
from pohub.core import jsonio
from pohub.documents.examples import sales_order
from tests.agent.helpers import SHIP_HEADER, agent, create_order, order, write_csv
from tests.prism import PrismProcess, load_document, prism_mock, prism_proxy
from tests.support import LiveServer, make_trade

KEY = "1001"
SEEDS = ("pohub-1", "pohub-2", "pohub-3", "pohub-4")


def mock_env(prism: PrismProcess, tmp_path: Path, name: str = "state") -> dict[str, str]:
    return {
        "POHUB_AGENT_BASE_URL": f"{prism.url}/api/v3",
        "POHUB_AGENT_API_KEY": "mock-key",
        "POHUB_AGENT_STATE": str(tmp_path / f"{name}.db"),
        "POHUB_AGENT_RATE": "off",
        "POHUB_AGENT_CONFIG": "",
        "POHUB_AGENT_RETRIES": "1",
    }


def posted(prism: PrismProcess, method: str, path: str) -> bool:
    return any(r.lower() == f"{method} {path}".lower() for r in prism.requests())


def the_order() -> dict[str, Any]:
    """Seed 002's order as the platform would answer it (the definitions' formats), key 1001, in 150."""
    body = sales_order(
        PartnerPO="PO-MOCK-1",
        SenderCompanyId=11,
        ReceiverCompanyId=22,
        OrderLines=[
            {"LineNumber": "1", "Quantity": 5, "Price": Decimal("31.02"), "ItemIdentifier": {"SupplierSKU": "SKU-1"}},
            {"LineNumber": "2", "Quantity": 3, "Price": Decimal("10.5"), "ItemIdentifier": {"SupplierSKU": "SKU-2"}},
        ],
    )
    body["Identifier"] = {"LogicbrokerKey": KEY, "SourceKey": "1599999990"}
    body["StatusCode"] = 150
    return answers.document("order", body)


def with_examples() -> dict[str, Any]:
    """The published document with answers for the flow's operations (what Prism's static mode
    serves): one PO in 150, and a key for each posted document."""
    doc = load_document()
    order_ = jsonio.loads(jsonio.dumps(the_order()))

    def example(path: str, method: str, code: str, value: Any) -> None:
        doc["paths"][f"/api/v3{path}"][method]["responses"][code]["examples"] = {"application/json": value}

    def created(key: str) -> dict[str, Any]:
        return {"Code": "201", "Message": "Created", "Body": {"LogicbrokerKey": key}}

    example("/Orders", "get", "200", {"Records": [order_], "TotalPages": 1, "CurrentPage": 1, "TotalRecords": 1})
    example("/Orders/{LogicbrokerKey}", "get", "200", {"Code": "200", "Message": "OK", "Body": {"SalesOrder": order_}})
    example("/Acknowledgements", "post", "201", created("2001"))
    example("/Orders/{LogicbrokerKey}/Shipments", "post", "201", created("3001"))
    example("/Orders/{LogicbrokerKey}/Invoices", "post", "201", created("4001"))
    example("/Shipments", "get", "200", {"Records": [], "TotalPages": 0, "CurrentPage": 1, "TotalRecords": 0})
    invoice = {"InvoiceNumber": "I-10", "Identifier": {"LogicbrokerKey": "4002", "LinkKey": KEY}, "InvoiceLines": []}
    example("/Invoices", "get", "200", {"Records": [invoice], "TotalPages": 1, "CurrentPage": 1, "TotalRecords": 1})
    return doc


def ship_csv(path: Path, key: str, line: str, sku: str, qty: int = 1, number: str = "SHP-1") -> Path:
    row = ["", key, line, sku, qty, "UPSN", "GND", "1Z999", "2026-12-01", number]
    return write_csv(path, SHIP_HEADER, [row])


@pytest.fixture
def example_mock(tmp_path: Path) -> Iterator[PrismProcess]:
    with prism_mock(tmp_path, document=with_examples()) as prism:
        yield prism


def test_whole_flow_against_the_static_mock(example_mock: PrismProcess, tmp_path: Path) -> None:
    env = mock_env(example_mock, tmp_path)
    code, report, out = agent(env, "acknowledge")
    assert code == 0 and report["acknowledged"] == 1 and report["accepted_units"] == 8, out
    assert posted(example_mock, "put", f"/api/v3/Orders/{KEY}/Status/200")
    assert posted(example_mock, "post", "/api/v3/Acknowledgements")

    code, report, out = agent(env, "ship", str(ship_csv(tmp_path / "ship.csv", KEY, "1", "SKU-1", 5)))
    assert code == 0 and report["shipped"] == 1 and report["shipped_units"] == 5, out
    assert posted(example_mock, "post", f"/api/v3/Orders/{KEY}/Shipments")  # not v1's /Shipment/{key}

    code, report, out = agent(env, "invoice")
    assert code == 0 and report["invoiced"] == 1 and report["invoiced_amount"] == "155.10", out
    assert posted(example_mock, "post", f"/api/v3/Orders/{KEY}/Invoices")

    ship_dir = tmp_path / "outbox"
    ship_dir.mkdir()
    ship_csv(ship_dir / "a.csv", KEY, "2", "SKU-2", 3, "SHP-2")
    code, report, out = agent(mock_env(example_mock, tmp_path, "fresh"), "run", "--once", "--ship-dir", str(ship_dir))
    assert code == 0 and (report["acknowledged"], report["shipped"], report["invoiced"]) == (1, 1, 1), out
    example_mock.assert_clean()


def test_the_client_reads_the_documents_routes(example_mock: PrismProcess) -> None:
    """order_status, events, the order's documents and the bulk status go where v3 has them."""
    import asyncio

    async def calls() -> None:
        options = ClientOptions(base_url=f"{example_mock.url}/api/v3", api_key="k", limits=Limits.off())
        async with AsyncClient(options) as client:
            with pytest.raises(Exception, match=r"Body\.Status"):
                await client.order_status(KEY)  # the mock's Status is "string": named, not a KeyError
            assert isinstance(await client.order_events(KEY), list)
            assert isinstance(await client.order_documents(KEY, "shipment"), list)
            assert isinstance(await client.order_documents(KEY, "acknowledgement"), list)
            assert isinstance(await client.set_status_bulk([KEY], 1000), dict)
            created = await client.post_invoice(
                {"InvoiceNumber": "I-9", "InvoiceLines": [{"LineNumber": "1", "Quantity": 1, "ItemIdentifier": {}}]},
                order_key=KEY,
            )
            assert created.key == "4001"
            # POST /Invoices is documented as answering an empty object: the key is found by number
            lone = {"InvoiceNumber": "I-10", "Identifier": {"LinkKey": KEY}, "InvoiceLines": [{"ItemIdentifier": {}}]}
            assert (await client.post_invoice(lone)).key == "4002"

    asyncio.run(calls())
    assert posted(example_mock, "get", f"/api/v3/Orders/{KEY}/ActivityEvents")
    assert posted(example_mock, "get", "/api/v3/Acknowledgements")
    example_mock.assert_clean()


def test_flow_against_the_plain_static_mock(tmp_path: Path) -> None:
    """Without examples Prism answers the schema's placeholders: a PO "string" whose line Quantity is
    int32's minimum. The agent reads it (the definitions allow it), names the PO and the field it
    cannot work with, sends nothing for it, and ends each step with exit code 1 rather than a crash."""
    with prism_mock(tmp_path) as prism:
        env = mock_env(prism, tmp_path)
        for args in (("acknowledge",), ("ship", str(ship_csv(tmp_path / "s.csv", "string", "string", "string")))):
            code, report, out = agent(env, *args)
            assert code == 1 and report["acknowledged"] == report["shipped"] == 0, out
            [failure] = report["failures"]
            assert failure["LogicbrokerKey"] == "string" and failure["PartnerPO"] == "string", out
            assert "OrderLines[0].Quantity is -2147483648" in failure["reason"], out
        code, report, out = agent(env, "invoice")
        assert code == 0 and report["invoiced"] == 0, out
        assert not [r for r in prism.requests() if r.startswith(("post", "put"))]
        prism.assert_clean()


def non_negative() -> dict[str, Any]:
    """The published document with order lines' Quantity and Price at least 0 and at least one line
    per order: dynamic answers the agent can ship and invoice. Requests are checked against this
    narrower document, so nothing the published one refuses gets through."""
    doc = load_document()
    line = doc["definitions"]["OrderLine"]["properties"]
    line["Quantity"]["minimum"] = 1
    line["Price"]["minimum"] = 0
    doc["definitions"]["SalesOrder"]["properties"]["OrderLines"]["minItems"] = 1
    return doc


@pytest.mark.parametrize(("seed", "narrow"), [(s, False) for s in SEEDS] + [(s, True) for s in SEEDS[:2]])
def test_flow_against_the_dynamic_mock(tmp_path: Path, seed: str, narrow: bool) -> None:
    """Prism's dynamic mode answers anything the definitions allow (doubles of 17 digits, negative
    int32 quantities, random strings and page counts). The agent keeps every number exactly, never
    crashes, and either does the work or names the PO and the field it cannot work on."""
    with prism_mock(tmp_path, document=non_negative() if narrow else None, dynamic=True, seed=seed) as prism:
        raw = httpx.get(f"{prism.url}/api/v3/Orders/{KEY}", params={"subscription-key": "k"}).content
        wire = jsonio.loads(raw)["Body"]["SalesOrder"]
        _exact_numbers(prism, wire)
        env = mock_env(prism, tmp_path)
        for args in (("acknowledge",), ("run", "--once")):
            code, report, out = agent(env, *args)
            assert code in (0, 1) and "Traceback" not in out, out
            _only_named(report)

        key = str(wire["Identifier"]["LogicbrokerKey"])
        lines = wire.get("OrderLines") or []
        assert lines or not narrow
        if not lines:
            return
        line = lines[0]
        csv_path = ship_csv(tmp_path / "ship.csv", key, str(line["LineNumber"]), line["ItemIdentifier"]["SupplierSKU"])
        code, report, out = agent(env, "ship", str(csv_path))
        assert code in (0, 1) and "Traceback" not in out, out
        _only_named(report)
        odd = _odd_fields(wire)
        assert bool(odd) is not narrow
        if odd:
            assert code == 1 and any(key in f["reason"] and odd[0] in f["reason"] for f in report["failures"]), out
        else:
            assert code == 0 and report["shipped"] == 1, out
            code, report, out = agent(env, "invoice")
            assert code in (0, 1) and "Traceback" not in out and report["invoiced"] >= 1, out
            _only_named(report)
            assert any(r.startswith("post /api/v3/Orders/") and r.endswith("/Invoices") for r in prism.requests())
        prism.assert_clean()


def _exact_numbers(prism: PrismProcess, wire: dict[str, Any]) -> None:
    """What the client reads is the JSON's exact numbers (Decimal), whatever their size."""
    import asyncio

    async def read() -> Any:
        options = ClientOptions(base_url=f"{prism.url}/api/v3", api_key="k", limits=Limits.off())
        async with AsyncClient(options) as client:
            return await client.get_order(KEY)

    try:
        order_ = asyncio.run(read())
    except Exception as exc:  # an answer the definitions allow must be read; anything else is named
        assert "does not fit" in str(exc), exc
        return
    if "TotalAmount" in wire:
        assert order_.total_amount == wire["TotalAmount"] and isinstance(order_.total_amount, Decimal)
    for read_line, wire_line in zip(order_.order_lines, wire.get("OrderLines") or [], strict=True):
        if "Price" in wire_line:
            assert read_line.price == wire_line["Price"]


def _odd_fields(wire: dict[str, Any]) -> list[str]:
    """The fields of the PO the agent cannot work with (as documents.purchase_order rules)."""
    out = []
    for i, line in enumerate(wire.get("OrderLines") or []):
        for name in ("Quantity", "Price"):
            if isinstance(line.get(name), int | Decimal) and line[name] < 0:
                out.append(f"OrderLines[{i}].{name}")
    return out


def _only_named(report: dict[str, Any]) -> None:
    """Every failure says which PO (or which listing) and why; none is a refusal by Prism."""
    for failure in report.get("failures", []):
        assert failure["LogicbrokerKey"] or failure["PartnerPO"] or failure["kind"] == "search", failure
        assert "stoplight.io/prism" not in failure["reason"] and failure["status_code"] != 422, failure


def test_whole_flow_through_a_proxy_in_front_of_the_hub(server: LiveServer, tmp_path: Path) -> None:
    """The agent against pohub's own hub at /api/v3, every request and answer checked by Prism."""
    trade = make_trade(server)
    key = create_order(trade, "PO-PROXY-1", [("SKU-1", 4, "19.99"), ("SKU-2", 2, "5.25")])
    with prism_proxy(tmp_path, server.url, versions=("v3",)) as prism:
        env = mock_env(prism, tmp_path) | {"POHUB_AGENT_API_KEY": trade.supplier.key}
        code, report, out = agent(env, "acknowledge")
        assert code == 0 and report["acknowledged"] == 1, out
        code, report, out = agent(env, "ship", str(ship_csv(tmp_path / "s.csv", key, "01", "SKU-1", 4)))
        assert code == 0 and report["shipped"] == 1, out
        ship_dir = tmp_path / "outbox"
        ship_dir.mkdir()
        ship_csv(ship_dir / "b.csv", key, "02", "SKU-2", 2, "SHP-2")
        code, report, out = agent(env, "run", "--once", "--ship-dir", str(ship_dir))
        assert code == 0 and report["shipped"] == 1 and report["invoiced"] == 2, out
        assert posted(prism, "post", f"/api/v3/Orders/{key}/Shipments")
        assert posted(prism, "post", f"/api/v3/Orders/{key}/Invoices")
        prism.assert_clean()
    assert order(trade, key)["StatusCode"] == 1000
