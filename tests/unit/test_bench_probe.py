"""The bench's probe (bench/probe.py) keeps the rules it claims to keep: a bench figure for "the
rules in lean Python" is only worth comparing with if the probe refuses what pohub refuses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
from bench import documents as docs
from bench.probe import create_app

from tests.support import backends, database_url, serve, sql

BUYER, SUPPLIER = 1, 2
KEYS = {"kb": BUYER, "ks": SUPPLIER}


@pytest.fixture(params=backends())
def probe(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[httpx.Client, str]]:
    """The probe on a fresh database (no pohub tables): a client and the database's URL."""
    with database_url(request.param, tmp_path, revision=None) as url:
        target = url.removeprefix("sqlite:///")
        with serve(create_app(target, KEYS)) as base, httpx.Client(base_url=base) as client:
            yield client, url


def _post(client: httpx.Client, what: str, body: bytes, key: str) -> httpx.Response:
    return client.post(f"/probe/{what}", content=body, headers={"Authorization": f"Bearer {key}"})


def _order(client: httpx.Client, i: int = 0) -> str:
    answer = _post(client, "orders", docs.order(i, prefix="T", buyer=BUYER, supplier=SUPPLIER), "kb")
    assert answer.status_code == 201, answer.text
    return str(answer.json()["Body"]["LogicbrokerKey"])


def _ack(key: str, **line_zero: object) -> bytes:
    body = orjson.loads(docs.acknowledgement(0, key))
    body["AckLines"][0].update(line_zero)
    return orjson.dumps(body)


def test_a_po_and_its_acknowledgement_are_stored(probe: tuple[httpx.Client, str]) -> None:
    client, url = probe
    key = _order(client)
    answer = _post(client, "acks", docs.acknowledgement(0, key), "ks")
    assert answer.status_code == 201, answer.text
    assert sql(url, "SELECT status FROM probe_orders WHERE id = :k", k=int(key)) == [(200,)]
    assert sql(url, "SELECT count(*), sum(CASE WHEN accepted = quantity THEN 1 END) FROM probe_lines") == [(10, 10)]
    assert sql(url, "SELECT count(*) FROM probe_events") == [(2,)]
    assert sql(url, "SELECT topic FROM probe_outbox ORDER BY id") == [
        ("order.received",),
        ("acknowledgement.received",),
    ]


def test_the_same_partner_po_twice_is_refused(probe: tuple[httpx.Client, str]) -> None:
    client, _ = probe
    _order(client)
    again = _post(client, "orders", docs.order(0, prefix="T", buyer=BUYER, supplier=SUPPLIER), "kb")
    assert again.status_code == 409 and "PartnerPO" in again.text


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"Quantity": 4}, 422, "AckLines[0].Quantity"),  # 4 + 0 + 0 is not the 5 ordered
        ({"ItemIdentifier": {"SupplierSKU": "OTHER"}}, 422, "AckLines[0].ItemIdentifier.SupplierSKU"),
        ({"LineNumber": "99"}, 422, "AckLines[0].LineNumber"),
        ({"QuantityCancelled": -1}, 422, "AckLines[0].QuantityCancelled"),
        ({"Price": -1}, 422, "AckLines[0].Price"),
    ],
)
def test_acknowledgement_rules(probe: tuple[httpx.Client, str], change: dict, status: int, field: str) -> None:
    client, url = probe
    key = _order(client)
    answer = _post(client, "acks", _ack(key, **change), "ks")
    assert answer.status_code == status and answer.json()["Body"]["Errors"][0].keys() == {field}
    assert sql(url, "SELECT count(*) FROM probe_docs") == [(0,)]  # nothing of it kept
    assert sql(url, "SELECT sum(accepted) FROM probe_lines") == [(0,)]


def test_a_repeated_number_a_stranger_and_bad_json_are_refused(probe: tuple[httpx.Client, str]) -> None:
    client, _ = probe
    key = _order(client)
    assert _post(client, "acks", docs.acknowledgement(0, key), "ks").status_code == 201
    assert _post(client, "acks", docs.acknowledgement(0, key), "ks").status_code == 409
    assert _post(client, "acks", docs.acknowledgement(0, key), "kb").status_code == 404  # the buyer is not its supplier
    assert (
        _post(client, "acks", b'{"AcknowledgementNumber": "A", "AcknowledgementNumber": "B"}', "ks").status_code == 400
    )
    assert _post(client, "acks", docs.acknowledgement(0, key), "nobody").status_code == 401
