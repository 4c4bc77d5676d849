"""A property-based run of the whole OpenAPI document (schemathesis): generated requests,
authenticated, must never get a 5xx nor an answer that breaks the documented schema."""

from __future__ import annotations

from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.api.helpers import create_order
from tests.support import LiveServer, make_trade

EXAMPLES_PER_OPERATION = 15
# Business rules (connected partners, quantities that add up, existing keys) refuse much of what a
# schema alone allows, so "valid data is accepted" is not asked; everything else is.
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]


def test_no_5xx_and_answers_match_the_schema(server: LiveServer) -> None:
    trade = make_trade(server)
    create_order(trade, "PO-FUZZ")  # something to find
    spec = httpx.get(f"{server.url}/openapi.json").json()
    schema = schemathesis.openapi.from_dict(spec)
    headers = {"Authorization": f"Bearer {trade.supplier.key}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        def check(case: Any) -> None:
            case.call_and_validate(base_url=server.url, headers=headers, checks=CHECKS)

        check()
