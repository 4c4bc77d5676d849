"""Where each call goes, per API version: v1 as the seeds call it (``POST /Shipment/{key}``), v3 (and
v2) as Logicbroker's published v3 document defines it (``POST /Orders/{key}/Shipments``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Routes:
    """Path templates (``{key}`` is an order's LogicbrokerKey)."""

    version: str
    # Posting a document for the order named in the URL; None where the version has no such route
    # (the order is then named by Identifier.LinkKey in the body).
    post_for_order: dict[str, str | None]
    # The order's documents; None where the version has no such route (a search by link key instead).
    order_documents: dict[str, str | None]
    events: str
    # The prefix of the Ready searches' filters (the v3 document spells them ``filters.``).
    ready_filter_prefix: str


V1 = Routes(
    version="v1",
    post_for_order={
        "acknowledgement": "/Acknowledgement/{key}",
        "shipment": "/Shipment/{key}",
        "invoice": "/Invoice/{key}",
        "order": None,
    },
    order_documents={
        "acknowledgement": "/Orders/{key}/Acknowledgements",
        "shipment": "/Orders/{key}/Shipments",
        "invoice": "/Orders/{key}/Invoices",
    },
    events="/Orders/{key}/Events",
    ready_filter_prefix="Filters.",
)
V3 = Routes(
    version="v3",
    post_for_order={
        "acknowledgement": None,
        "shipment": "/Orders/{key}/Shipments",
        "invoice": "/Orders/{key}/Invoices",
        "order": None,
    },
    order_documents={
        "acknowledgement": None,
        "shipment": "/Orders/{key}/Shipments",
        "invoice": "/Orders/{key}/Invoices",
    },
    events="/Orders/{key}/ActivityEvents",
    ready_filter_prefix="filters.",
)
BY_VERSION = {"v1": V1, "v2": V3, "v3": V3}


def routes_for(api_root: str) -> Routes:
    """The routes of the version an API root names (``.../api/v3``); v1 when it names none."""
    last = api_root.rstrip("/").rsplit("/", 1)[-1].lower()
    return BY_VERSION.get(last, V1)
