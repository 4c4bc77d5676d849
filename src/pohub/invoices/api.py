"""Routes for invoices."""

from pohub.api.documents import document_router
from pohub.documents.logicbroker import Invoice
from pohub.invoices import service

router = document_router(kind="invoice", plural="Invoices", singular="Invoice", model=Invoice, apply=service.receive)
