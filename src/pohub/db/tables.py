"""Import every table so MetaData is complete (for migrations and tests)."""

from pohub.changes.models import change_lines
from pohub.db.base import metadata
from pohub.documents.models import documents, events, order_lines
from pohub.edi.partners.models import edi_control_numbers, edi_partners, edi_received
from pohub.exchanges.models import exchange_attempts, exchanges
from pohub.inventory.models import inventory_items, inventory_warehouses
from pohub.jobs.models import job_items, jobs
from pohub.ops.models import ops_processes, rate_limit_buckets
from pohub.partners.models import api_keys, companies, partnerships
from pohub.returns.models import return_details, return_lines
from pohub.users.models import users
from pohub.webhooks.models import webhook_subscriptions

__all__ = [
    "api_keys",
    "change_lines",
    "companies",
    "documents",
    "edi_control_numbers",
    "edi_partners",
    "edi_received",
    "events",
    "exchange_attempts",
    "exchanges",
    "inventory_items",
    "inventory_warehouses",
    "job_items",
    "jobs",
    "metadata",
    "ops_processes",
    "order_lines",
    "partnerships",
    "rate_limit_buckets",
    "return_details",
    "return_lines",
    "users",
    "webhook_subscriptions",
]
