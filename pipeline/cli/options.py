"""Options and types shared by the `lakehouse` commands.

`--config` and `-v/--verbose` work before or after the command name (`lakehouse -v daily` and
`lakehouse daily -v`); they are stored in the click context and read by
:func:`pipeline.cli.errors.run_command`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Optional

import click

CONFIG_KEY = "lakehouse.config"
VERBOSE_KEY = "lakehouse.verbose"


def _store(key: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    def callback(ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
        if value:
            ctx.meta[key] = value
        return value

    return callback


def common_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`--config FILE` and `-v/--verbose`, on the group and on every command."""
    fn = click.option(
        "--config",
        "config_path",
        metavar="FILE",
        expose_value=False,
        callback=_store(CONFIG_KEY),
        help="config file (default: $LAKEHOUSE_CONFIG, ./config.yaml, the repository's config.yaml)",
    )(fn)
    fn = click.option(
        "-v",
        "--verbose",
        is_flag=True,
        expose_value=False,
        callback=_store(VERBOSE_KEY),
        help="debug logging, and a traceback for unexpected errors",
    )(fn)
    return fn


class IsoDate(click.ParamType):
    """A YYYY-MM-DD date; a bad value is a usage error naming it."""

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: Optional[click.Parameter], ctx: Optional[click.Context]) -> dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"not a date YYYY-MM-DD: {value!r}", param, ctx)


DATE = IsoDate()


def date_range_options(what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`--start/--end` bounding the snapshot days of `what`."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        fn = click.option("--end", type=DATE, help=f"last snapshot day of {what} (default: no bound)")(fn)
        fn = click.option("--start", type=DATE, help=f"first snapshot day of {what} (default: no bound)")(fn)
        return fn

    return decorate


def check_range(start: Optional[dt.date], end: Optional[dt.date], names: str = "--start/--end") -> None:
    if start and end and start > end:
        first, last = names.split("/")
        raise click.UsageError(f"{first} {start} is after {last} {end}")


def workers_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--workers",
        type=click.IntRange(min=0),
        metavar="N",
        help="parallel processes (default: ingest.workers; 0 = number of CPUs)",
    )(fn)
