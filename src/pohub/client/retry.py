"""The client's retry policy is the one pohub uses everywhere (pohub.core.retry)."""

from pohub.core.retry import RETRY_STATUSES, RetryPolicy, is_retryable_status, parse_retry_after

__all__ = ["RETRY_STATUSES", "RetryPolicy", "is_retryable_status", "parse_retry_after"]
