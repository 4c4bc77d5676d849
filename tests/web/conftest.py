"""The real loopback webhook receiver and the fast-retry server of the webhook tests, for the
dashboard's webhook pages."""

from tests.webhooks.conftest import fast_server, receiver

__all__ = ["fast_server", "receiver"]
