"""Import every table so MetaData is complete (for migrations and tests)."""

from pohub.db.base import metadata
from pohub.documents.models import documents, events, order_lines, refusals
from pohub.partners.models import api_keys, companies, partnerships

__all__ = [
    "api_keys",
    "companies",
    "documents",
    "events",
    "metadata",
    "order_lines",
    "partnerships",
    "refusals",
]
