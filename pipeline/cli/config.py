"""`lakehouse config`: print the validated configuration in effect (secrets are never in it)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import click

from lake.config import Config
from pipeline.cli.errors import run_command
from pipeline.cli.options import common_options


@click.command("config")
@common_options
def config_command() -> None:
    """Show the configuration in effect (after env overrides and validation) as JSON."""

    def body(config: Config) -> None:
        def default(o: Any) -> Any:
            if isinstance(o, dt.date):
                return o.isoformat()
            raise TypeError(o)

        print(json.dumps(dataclasses.asdict(config), indent=2, ensure_ascii=False, default=default))

    run_command(body)
