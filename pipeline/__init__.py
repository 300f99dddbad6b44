"""The `lakehouse` command line and the daily job that chains ingest -> models -> publish."""
