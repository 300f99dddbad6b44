"""`run_models(config)`: one SQLMesh child process brings the warehouse up to date (or backfills a range).

The child (:mod:`pipeline.models.child`) runs SQLMesh's Python API on the project with exactly
the given configuration (:func:`pipeline.sqlmesh_env.sqlmesh_environment`), decides what to do
from the lake and the warehouse (:mod:`pipeline.models.planning`) and writes a JSON result. A
separate process keeps SQLMesh's imports, console and DuckDB connection out of the job's
process, and lets the job stop it (SIGTERM) or lose it (kill -9: the child dies with it).

Call it inside a warehouse session (pipeline.session), which holds the lock and the working
copy of the warehouse.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Optional

from lake.config import Config
from lake.errors import ModelsError, UsageError
from pipeline.models.report import ModelsReport
from pipeline.sqlmesh_env import sqlmesh_environment, start_child, stop_child

#: SQLMesh's console output, line by line (DEBUG: shown by `lakehouse -v`)
console = logging.getLogger("lakehouse.sqlmesh")


def run_models(
    config: Config,
    dry_run: bool = False,
    output: Any = None,
    session: Optional[str] = None,
    backfill: Optional[tuple[dt.date, Optional[dt.date]]] = None,
) -> ModelsReport:
    """Bring the warehouse up to date with the lake (see pipeline/models/planning.py).

    `backfill`: (start, end or None) -- recompute exactly that range instead, and nothing else
    (:func:`pipeline.models.planning.backfill`). `dry_run`: report what would be done, change
    nothing. `output`: a text stream for SQLMesh's console output (default: the DEBUG log of
    `lakehouse.sqlmesh`, so `lakehouse -v` shows it and a normal run stays quiet; a failure's
    message carries the SQLMesh error anyway). `session`: the warehouse session's id, passed on to the child.
    """
    started = time.monotonic()
    job = {
        "backfill": [d.isoformat() if d else None for d in backfill] if backfill else None,
        "dry_run": bool(dry_run),
    }
    with tempfile.TemporaryDirectory(prefix="lakehouse-models-") as tmp:
        job_file = Path(tmp) / "job.json"
        job_file.write_text(json.dumps(job), encoding="utf-8")
        result_file = Path(tmp) / "result.json"
        with sqlmesh_environment(config, session) as env:
            cmd = [sys.executable, "-m", "pipeline.models.child", str(job_file), str(result_file)]
            tail = _run_child(cmd, env, output)
        if not result_file.exists():
            raise ModelsError("sqlmesh stopped without a result:\n" + "\n".join(tail[-30:]))
        result = json.loads(result_file.read_text(encoding="utf-8"))
    if result.get("error"):
        raise (UsageError if result.get("exit_code") == 2 else ModelsError)(result["error"])
    report = ModelsReport.from_json(result["report"])
    report.seconds = time.monotonic() - started
    return report


def _run_child(cmd: list[str], env: dict[str, str], output: Any) -> list[str]:
    """Run the child, passing its output on line by line; returns the last lines."""
    tail: list[str] = []
    proc = start_child(
        cmd,
        env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            tail.append(line.rstrip("\n"))
            del tail[:-200]
            if output is not None:
                output.write(line)
            elif line.strip():
                console.debug("%s", line.rstrip())
        if output is not None:
            output.flush()
        proc.wait()
    finally:  # SIGTERM/Ctrl-C of the job stops SQLMesh too
        stop_child(proc)
    return tail
