"""Routes for shipments (POST /Shipment/{LogicbrokerKey} is seed 000's step 5)."""

from pohub.api.documents import document_router
from pohub.documents.logicbroker import Shipment
from pohub.shipments import service

router = document_router(
    kind="shipment", plural="Shipments", singular="Shipment", model=Shipment, apply=service.receive
)
