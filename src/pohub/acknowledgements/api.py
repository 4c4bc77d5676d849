"""Routes for acknowledgements."""

from pohub.acknowledgements import service
from pohub.api.documents import document_router
from pohub.documents.logicbroker import Acknowledgement

router = document_router(
    kind="acknowledgement",
    plural="Acknowledgements",
    singular="Acknowledgement",
    model=Acknowledgement,
    apply=service.receive,
)
