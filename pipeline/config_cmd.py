"""`lakehouse config`: print the validated configuration in effect (secrets are never in it)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

from lake.config import Config


def register(sub: Any) -> None:
    p = sub.add_parser(
        "config",
        help="show the validated configuration in effect",
        description="Print the configuration after env overrides and validation, as JSON.",
    )
    p.set_defaults(func=run)


def run(args: Any, config: Config) -> int:
    def default(o: Any) -> Any:
        if isinstance(o, dt.date):
            return o.isoformat()
        raise TypeError(o)

    print(json.dumps(dataclasses.asdict(config), indent=2, ensure_ascii=False, default=default))
    return 0
