"""`lakehouse publish`: push the warehouse's gold/silver tables to MySQL (or show what would change)."""

from __future__ import annotations

from typing import Any

from lake.config import Config


def register(sub: Any) -> None:
    p = sub.add_parser(
        "publish",
        help="publish gold/silver tables from the warehouse to MySQL (Aurora)",
        description=(
            "Publish gold.occupancy_daily_metrics, silver.tenant_status_history, "
            "gold.tenant_status_transitions and the last publish.snapshot_days days of "
            "silver.tenant_room_snapshot_daily to the MySQL databases of mysql.databases. Each table "
            "changes atomically and is verified (row count + checksum) against the warehouse; the run "
            "is recorded in publish_log. The password comes from $<mysql.password_env> or "
            "mysql.secret_arn, never from the config file."
        ),
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="show per table the rows that would be inserted/updated/deleted; write nothing",
    )
    p.add_argument(
        "--full-verify",
        action="store_true",
        help="recompute every published day's checksum in MySQL instead of trusting the stored ones",
    )
    p.set_defaults(func=run)


def run(args: Any, config: Config) -> int:
    from pipeline.cli import CommandError
    from lake.errors import PublishError
    from publish.publisher import publish

    try:
        report = publish(config, dry_run=args.dry_run, full_verify=args.full_verify)
    except PublishError as exc:
        raise CommandError(" ".join(str(exc).split())) from None
    print(report.summary())
    return 0
