"""`run_models(config)`: one SQLMesh child process brings the warehouse up to date (or backfills a range).

The child (:mod:`pipeline.models.child`) runs SQLMesh's Python API on the project with exactly
the given configuration (:func:`pipeline.sqlmesh_env.sqlmesh_environment`), decides what to do
from the lake and the warehouse (:mod:`pipeline.models.planning`) and writes a JSON result. A
separate process keeps SQLMesh's imports, console and DuckDB connection out of the job's
process, and lets the job stop it (SIGTERM) or lose it (kill -9: the child dies with it).

Importing SQLMesh takes ~1.5 s; :func:`models_child` starts the child ahead, so a job that has
other work first (the daily job's ingest) overlaps that import with it. The child reads nothing
of the lake or the warehouse until it is told to run.

Call it inside a warehouse session (pipeline.session), which holds the lock and the working
copy of the warehouse.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

from lake.config import Config
from lake.errors import ModelsError, UsageError
from pipeline.models.report import ModelsReport
from pipeline.sqlmesh_env import sqlmesh_environment, start_child, stop_child

#: SQLMesh's console output, line by line (DEBUG: shown by `lakehouse -v`)
console = logging.getLogger("lakehouse.sqlmesh")


class ModelsChild:
    """A started SQLMesh child waiting for its job (see :func:`models_child`); runs once."""

    def __init__(self, proc: subprocess.Popen, workdir: Path) -> None:
        self._proc = proc
        self._workdir = workdir
        self._used = False

    def run(
        self,
        dry_run: bool = False,
        output: Any = None,
        backfill: Optional[tuple[dt.date, Optional[dt.date]]] = None,
    ) -> ModelsReport:
        """Give the child its job, pass its output on, and return its report (see run_models)."""
        if self._used:
            raise RuntimeError("a models child runs one job")
        self._used = True
        started = time.monotonic()
        job = {
            "backfill": [d.isoformat() if d else None for d in backfill] if backfill else None,
            "dry_run": bool(dry_run),
        }
        (self._workdir / "job.json").write_text(json.dumps(job), encoding="utf-8")
        result_file = self._workdir / "result.json"
        proc = self._proc
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write("run\n")
            proc.stdin.close()
        except BrokenPipeError:  # it died while waiting: its output says why
            pass
        tail = _pass_output(proc, output)
        if not result_file.exists():
            raise ModelsError("sqlmesh stopped without a result:\n" + "\n".join(tail[-30:]))
        result = json.loads(result_file.read_text(encoding="utf-8"))
        if result.get("error"):
            raise (UsageError if result.get("exit_code") == 2 else ModelsError)(result["error"])
        report = ModelsReport.from_json(result["report"])
        report.seconds = time.monotonic() - started
        return report


@contextlib.contextmanager
def models_child(config: Config, session: Optional[str] = None) -> Iterator[ModelsChild]:
    """Start the SQLMesh child now (it imports SQLMesh, then waits); stopped when the block ends.

    `session`: the warehouse session's id, passed on to the child. Leaving the block without
    running it ends the child without it having touched anything.
    """
    with tempfile.TemporaryDirectory(prefix="lakehouse-models-") as tmp:
        workdir = Path(tmp)
        with sqlmesh_environment(config, session) as env:
            cmd = [
                sys.executable, "-m", "pipeline.models.child",
                str(workdir / "job.json"), str(workdir / "result.json"), "--wait",
            ]  # fmt: skip
            proc = start_child(
                cmd,
                env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                encoding="utf-8",
                errors="replace",
            )
            try:
                yield ModelsChild(proc, workdir)
            finally:  # SIGTERM/Ctrl-C of the job stops SQLMesh too
                if proc.stdin is not None and not proc.stdin.closed:
                    with contextlib.suppress(OSError):
                        proc.stdin.close()  # a child still waiting exits at once
                stop_child(proc)
                if proc.stdout is not None:
                    proc.stdout.close()


def run_models(
    config: Config,
    dry_run: bool = False,
    output: Any = None,
    session: Optional[str] = None,
    backfill: Optional[tuple[dt.date, Optional[dt.date]]] = None,
    child: Optional[ModelsChild] = None,
) -> ModelsReport:
    """Bring the warehouse up to date with the lake (see pipeline/models/planning.py).

    `backfill`: (start, end or None) -- recompute exactly that range instead, and nothing else
    (:func:`pipeline.models.planning.backfill`). `dry_run`: report what would be done, change
    nothing. `output`: a text stream for SQLMesh's console output (default: the DEBUG log of
    `lakehouse.sqlmesh`, so `lakehouse -v` shows it and a normal run stays quiet; a failure's
    message carries the SQLMesh error anyway). `session`: the warehouse session's id, passed on
    to the child. `child`: a child started ahead by :func:`models_child` (else one is started).
    """
    if child is not None:
        return child.run(dry_run=dry_run, output=output, backfill=backfill)
    with models_child(config, session) as started:
        return started.run(dry_run=dry_run, output=output, backfill=backfill)


def _pass_output(proc: subprocess.Popen, output: Any) -> list[str]:
    """Pass the child's output on line by line until it exits; returns the last lines."""
    tail: list[str] = []
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
    return tail
