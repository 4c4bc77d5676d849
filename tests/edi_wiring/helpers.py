"""Setting up EDI partners in tests, the way an operator would: through the API."""

from __future__ import annotations

from typing import Any

from tests.support import Party


def profile(counterparty: Party, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "CounterpartyId": counterparty.id,
        "Standard": "x12",
        "Version": "004010",
        "TheirQualifier": "ZZ",
        "TheirId": "EDIBUYER",
        "OurQualifier": "ZZ",
        "OurId": "POHUB",
        "Transport": "api",
    }
    body.update(fields)
    return body


def add_partner(edi_party: Party, counterparty: Party, **fields: Any) -> dict[str, Any]:
    """The EDI profile of edi_party trading with counterparty, set up by edi_party itself."""
    r = edi_party.post("/EdiPartners", json=profile(counterparty, **fields))
    assert r.status_code == 201, r.text
    return dict(r.json()["Body"])
