"""Days whose snapshot was replaced and must be recomputed by the models.

Re-ingesting a corrected dump rewrites an old partition; SQLMesh only recomputes that day when
it is restated. The days are recorded in the lake (`_state/pending_restate.json`) by the
ingest, and cleared by the models step only after the restatement succeeded -- so a run that
dies between ingest and models still restates them on the next run.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable

from lake.config import Config
from lake.layout import join
from lake.storage import storage_for


def _uri(config: Config) -> str:
    return join(config.lake.root, "_state", "pending_restate.json")


def pending_days(config: Config) -> list[dt.date]:
    """Replaced days not yet recomputed, oldest first."""
    uri = _uri(config)
    storage = storage_for(uri, config)
    if storage.stat(uri) is None:
        return []
    data = json.loads(storage.read_bytes(uri))
    return sorted(dt.date.fromisoformat(d) for d in data.get("days", []))


def _write(config: Config, days: Iterable[dt.date]) -> None:
    uri = _uri(config)
    storage = storage_for(uri, config)
    days = sorted(set(days))
    if not days:
        storage.delete(uri)
        return
    storage.write_bytes(uri, json.dumps({"days": [d.isoformat() for d in days]}).encode())


def add_pending(config: Config, days: Iterable[dt.date]) -> None:
    days = list(days)
    if days:
        _write(config, set(pending_days(config)) | set(days))


def clear_pending(config: Config, days: Iterable[dt.date]) -> None:
    done = set(days)
    if done:
        _write(config, [d for d in pending_days(config) if d not in done])
