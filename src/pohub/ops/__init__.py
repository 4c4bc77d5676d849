"""What the people who run pohub need: health and readiness, metrics, logs, backups, rate limits,
heartbeats and `pohub doctor`. See docs/operations.md."""
