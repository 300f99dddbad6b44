"""Fixtures of the loader tests: a real source database, real dumps, configs and the CLI."""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

import pytest
import yaml

from tests.conftest import REPO
from tests.loaders.sourcedb import source_database

LAKEHOUSE = os.path.join(REPO, ".venv", "bin", "lakehouse")


@pytest.fixture(scope="module")
def source_db(mysql_server: dict[str, Any]) -> Iterator[str]:
    """A fresh MariaDB database (uuid name) with the PMS-like tables; dropped after the module."""
    with source_database() as db:
        yield db


def write_config(tmp_path: Path, lake: str, dumps: str, **sections: Any) -> str:
    """A config.yaml for the CLI with the lake and dumps roots (and any extra sections)."""
    data: dict[str, Any] = {
        "lake": {"root": lake},
        "source": {"root": dumps, "legacy_csv_root": str(tmp_path / "legacy")},
        "ingest": {"workers": 1},
    }
    for key, value in sections.items():
        data.setdefault(key, {}).update(value)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return str(path)


def run_cli(config: str, *args: str, env: Optional[dict[str, str]] = None) -> subprocess.CompletedProcess:
    """`lakehouse --config <config> <args>` as a user runs it."""
    return subprocess.run(
        [LAKEHOUSE, "--config", config, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=600,
    )


def tree_digest(root: str) -> dict[str, str]:
    """Every file under a local folder -> sha256 (to prove a failed run changed nothing)."""
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(dirpath, name)
            with open(path, "rb") as fh:
                out[os.path.relpath(path, root)] = hashlib.sha256(fh.read()).hexdigest()
    return out
