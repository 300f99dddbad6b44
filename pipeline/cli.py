"""`lakehouse`: one command line for every task of the occupancy lakehouse.

Each package registers its own subcommands (`register(subparsers)`), so the CLI stays a thin
dispatcher and each concern keeps its options next to its code.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import logging
import sys
from typing import Callable, Optional

from lake.config import ConfigError, load_config

#: modules that contribute subcommands, in --help order
COMMAND_MODULES = (
    "pipeline.config_cmd",
    "demo.cli",
    "loaders.cli",
    "pipeline.models_cmd",
    "publish.cli",
    "pipeline.daily_cmd",
)


class CommandError(RuntimeError):
    """A failure to report as one clear line and a non-zero exit (no traceback)."""


def iso_date(text: str) -> dt.date:
    """argparse type of every date option: YYYY-MM-DD, with a message naming the bad value."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text!r}") from None


def int_at_least(minimum: int) -> Callable[[str], int]:
    """argparse type of an integer option with a lower bound (counts, seeds, workers)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value

    parse.__name__ = f"integer >= {minimum}"
    return parse


def one_line(exc: BaseException) -> str:
    """The exception as one line; unexpected types keep their class name for the operator."""
    text = " ".join(str(exc).split()) or exc.__class__.__name__
    if isinstance(exc, (ConfigError, CommandError)):
        return text
    return (
        text
        if exc.__class__.__module__.split(".")[0] in _OWN_PACKAGES
        else f"{exc.__class__.__name__}: {text}"
    )


_OWN_PACKAGES = {"lake", "loaders", "publish", "pipeline", "demo"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lakehouse",
        description=(
            "DuckDB/Parquet lakehouse for occupancy analytics: daily mysqldumps -> Parquet lake -> "
            "SQLMesh models (status history, transitions, occupancy KPIs with projections) -> Aurora MySQL."
        ),
        epilog="Settings come from config.yaml (or $LAKEHOUSE_CONFIG); `lakehouse config` shows them.",
    )
    parser.add_argument(
        "--config", help="config file (default: $LAKEHOUSE_CONFIG, ./config.yaml, repo config.yaml)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # a package not built yet
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Optional[list[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("botocore", "boto3", "urllib3", "s3transfer", "sqlmesh", "sqlglot"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        config = load_config(args.config)
        return int(args.func(args, config) or 0)
    except KeyboardInterrupt:
        print(f"lakehouse {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # every failure ends as one line; -v adds the traceback
        if args.verbose:
            logging.getLogger("lakehouse").exception("failed")
        print(f"lakehouse {args.command}: error: {one_line(exc)}", file=sys.stderr)
        return 2 if isinstance(exc, ConfigError) else 1


if __name__ == "__main__":
    sys.exit(main())
