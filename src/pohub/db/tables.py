"""Import every table so MetaData is complete (for migrations and tests)."""

from pohub.db.base import metadata
from pohub.documents.models import documents, events, order_lines
from pohub.exchanges.models import exchange_attempts, exchanges
from pohub.jobs.models import job_items, jobs
from pohub.partners.models import api_keys, companies, partnerships
from pohub.users.models import users
from pohub.webhooks.models import webhook_subscriptions

__all__ = [
    "api_keys",
    "companies",
    "documents",
    "events",
    "exchange_attempts",
    "exchanges",
    "job_items",
    "jobs",
    "metadata",
    "order_lines",
    "partnerships",
    "users",
    "webhook_subscriptions",
]
