"""Run the SQLMesh models for the daily job: `run_models(config, restate_days=())`.

What it does, in one child process running the SQLMesh Python API (``sqlmesh.Context``) on
``sqlmesh_project/`` with exactly the given :class:`~lake.config.Config` (written to a
temporary ``config.yaml`` that the project's ``config.py`` reads through ``$LAKEHOUSE_CONFIG``):

1. **As-of date.** ``T`` = the latest ``tenants`` partition of the lake. SQLMesh is run with
   ``execution_time = T + 1 day`` (00:00 UTC) and ``end = T``. A dump is dated the morning it
   is taken (JST), when SQLMesh's @daily interval for that date has not ended yet in UTC, so a
   plain ``sqlmesh run`` would leave the new day for tomorrow; pinning SQLMesh's clock to the
   lake makes every snapshot day up to T due now, and never a day the lake does not have.
2. **Plan or run.** ``sqlmesh plan`` (auto-applied) on the first build or when the project
   differs from the ``prod`` environment (a model, the seed, a KPI variable, the lake root,
   the environment statements); ``sqlmesh run`` (``ignore_cron``) otherwise. The incremental
   models then compute the new days plus their ``lookback`` days; the FULL models rebuild.
3. **Restatements.** ``restate_days`` (corrected older dumps: ``IngestReport.replaced_days``)
   and every lake day the warehouse disagrees with (a dump that arrived after its day was
   processed as a gap, or a partition removed from the lake) are recomputed with
   ``sqlmesh plan --restate-model tag:lake --start A --end B`` per contiguous range, which
   restates every model reading the lake and everything downstream.

A failure raises :class:`ModelsError` whose message names the failed audit and model (or the
model and its error). The child's SQLMesh log goes to stderr (or a logger).

Run ``python -m pipeline.models --help`` for the child's options (internal).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import yaml

from lake.config import ENV_CONFIG, ENV_PREFIX, Config
from lake.layout import table_dir
from lake.storage import storage_for

log = logging.getLogger(__name__)

PROJECT_DIR = Path(__file__).resolve().parent.parent / "sqlmesh_project"
#: SQLMesh selector of every model that reads the lake (and so must be restated when a day changes)
LAKE_TAG = "tag:lake"
#: model with one row per computed snapshot day, compared with the lake's partitions
RECONCILE_MODEL = "intermediate.occupancy_daily_actuals"
#: more disjoint restate ranges than this are merged into one covering range (one FULL rebuild)
MAX_RESTATE_RANGES = 3

_DAY = re.compile(r"snapshot_date=(\d{4}-\d{2}-\d{2})/")


class ModelsError(RuntimeError):
    """The models failed; the message names the audit/model (or the input) concerned."""


@dataclass
class ModelsReport:
    #: "plan", "run", or "dry-run"
    action: str = ""
    #: why that action: "first build", "models changed", "new snapshots", "up to date"
    reason: str = ""
    #: T, the latest snapshot date of the lake (the as-of date of the run)
    as_of: Optional[dt.date] = None
    #: the warehouse's latest snapshot day before this run (None on a first build)
    previous_as_of: Optional[dt.date] = None
    #: lake days newer than previous_as_of, computed by this run
    new_days: list[dt.date] = field(default_factory=list)
    #: (start, end) ranges restated, in order
    restated: list[tuple[dt.date, dt.date]] = field(default_factory=list)
    #: lake days the warehouse disagreed with (late or removed partitions), restated too
    reconciled_days: list[dt.date] = field(default_factory=list)
    #: True when SQLMesh had nothing to compute
    nothing_to_do: bool = False
    seconds: float = 0.0
    #: seconds per step of the SQLMesh child: load, diff, plan/run, restate
    steps: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        if self.action == "dry-run":
            head = f"models (dry run): would {self.reason}"
        else:
            head = f"models: {self.action} ({self.reason})"
        parts = [f"{head}, as of {self.as_of}"]
        if self.new_days:
            parts.append(f"new snapshot days {_days_text(self.new_days)}")
        elif self.action != "dry-run" and self.nothing_to_do and not self.restated:
            parts.append("nothing to compute")
        if self.restated:
            ranges = ", ".join(a.isoformat() if a == b else f"{a}..{b}" for a, b in self.restated)
            verb = "would restate" if self.action == "dry-run" else "restated"
            parts.append(f"{verb} {ranges}")
        if self.reconciled_days:
            parts.append(f"lake/warehouse mismatch on {_days_text(self.reconciled_days)}")
        if self.action != "dry-run":
            parts.append(f"{self.seconds:.1f}s")
        return "; ".join(parts)

    def to_json(self) -> dict[str, Any]:
        def conv(v: Any) -> Any:
            if isinstance(v, dt.date):
                return v.isoformat()
            if isinstance(v, (list, tuple)):
                return [conv(x) for x in v]
            return v

        return {k: conv(v) for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModelsReport:
        def day(v: Optional[str]) -> Optional[dt.date]:
            return dt.date.fromisoformat(v) if v else None

        return cls(
            action=data["action"],
            reason=data["reason"],
            as_of=day(data["as_of"]),
            previous_as_of=day(data["previous_as_of"]),
            new_days=[dt.date.fromisoformat(x) for x in data["new_days"]],
            restated=[(dt.date.fromisoformat(a), dt.date.fromisoformat(b)) for a, b in data["restated"]],
            reconciled_days=[dt.date.fromisoformat(x) for x in data["reconciled_days"]],
            nothing_to_do=bool(data["nothing_to_do"]),
            seconds=float(data["seconds"]),
            steps={k: float(v) for k, v in data.get("steps", {}).items()},
        )


def _days_text(days: Sequence[dt.date]) -> str:
    days = sorted(days)
    if len(days) <= 4:
        return ", ".join(d.isoformat() for d in days)
    return f"{days[0]}..{days[-1]} ({len(days)} days)"


# ----------------------------------------------------------------------------- helpers


def lake_days(config: Config, table: str = "tenants") -> list[dt.date]:
    """Snapshot dates that have a partition of `table` in the lake (one listing, no file read)."""
    prefix = table_dir(config.lake.root, table)
    days = set()
    for info in storage_for(prefix, config).list(prefix):
        m = _DAY.search(info.uri.replace("\\", "/"))
        if m and info.uri.endswith(".parquet"):
            days.add(dt.date.fromisoformat(m.group(1)))
    return sorted(days)


def day_ranges(days: Iterable[dt.date], lake: Sequence[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Group `days` into ranges that are contiguous in the lake (gap days don't split a range)."""
    wanted = sorted(set(days))
    if not wanted:
        return []
    position = {d: i for i, d in enumerate(sorted(set(lake) | set(wanted)))}
    ranges: list[list[dt.date]] = []
    for d in wanted:
        if ranges and position[d] == position[ranges[-1][1]] + 1:
            ranges[-1][1] = d
        else:
            ranges.append([d, d])
    out = [(a, b) for a, b in ranges]
    if len(out) > MAX_RESTATE_RANGES:
        out = [(out[0][0], out[-1][1])]
    return out


def config_to_yaml(config: Config) -> str:
    """The YAML of a fully resolved config (what `load_config` of that file gives back)."""

    def conv(v: Any) -> Any:
        if isinstance(v, dt.date):
            return v.isoformat()
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [conv(x) for x in v]
        return v

    data = conv(dataclasses.asdict(config))
    data.pop("source_file", None)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


# ----------------------------------------------------------------------------- the entry point


def run_models(
    config: Config,
    restate_days: Iterable[dt.date] = (),
    dry_run: bool = False,
    output: Any = None,
) -> ModelsReport:
    """Bring the warehouse up to date with the lake (see the module docstring).

    `restate_days`: snapshot days whose partitions were replaced (corrected dumps); every model
    that depends on them is recomputed. `dry_run`: report what would be done, change nothing.
    `output`: a text stream for SQLMesh's log (default: this process's stderr).
    """
    started = time.monotonic()
    days = lake_days(config)
    if not days:
        raise ModelsError(
            f"lake {table_dir(config.lake.root, 'tenants')} has no snapshot partitions: ingest dumps first"
        )
    job = {
        "as_of": days[-1].isoformat(),
        "restate_days": sorted({d.isoformat() for d in restate_days}),
        "dry_run": bool(dry_run),
    }
    with tempfile.TemporaryDirectory(prefix="lakehouse-models-") as tmp:
        cfg_file = Path(tmp) / "config.yaml"
        cfg_file.write_text(config_to_yaml(config), encoding="utf-8")
        job_file = Path(tmp) / "job.json"
        job_file.write_text(json.dumps(job), encoding="utf-8")
        result_file = Path(tmp) / "result.json"
        env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
        env[ENV_CONFIG] = str(cfg_file)
        env.setdefault("PYTHONUNBUFFERED", "1")
        env.setdefault("COLUMNS", "160")  # SQLMesh's log is not wrapped at 80 columns
        env["SQLMESH__DISABLE_ANONYMIZED_ANALYTICS"] = "1"  # no network calls
        cmd = [sys.executable, "-m", "pipeline.models", str(job_file), str(result_file)]
        tail = _run_child(cmd, env, output)
        if not result_file.exists():
            raise ModelsError("sqlmesh stopped without a result:\n" + "\n".join(tail[-30:]))
        result = json.loads(result_file.read_text(encoding="utf-8"))
    if result.get("error"):
        raise ModelsError(result["error"])
    report = ModelsReport.from_json(result["report"])
    report.seconds = time.monotonic() - started
    return report


def _run_child(cmd: list[str], env: dict[str, str], output: Any) -> list[str]:
    """Run the child, streaming its output line by line; returns the last lines."""
    stream = output if output is not None else sys.stderr
    tail: list[str] = []
    proc = subprocess.Popen(
        cmd,
        cwd=str(PROJECT_DIR),
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        tail.append(line.rstrip("\n"))
        del tail[:-200]
        stream.write(line)
    stream.flush()
    proc.wait()
    return tail


# ----------------------------------------------------------------------------- the child


def _child(job: dict[str, Any]) -> ModelsReport:
    """Runs in `python -m pipeline.models`, with $LAKEHOUSE_CONFIG set by `run_models`."""
    from sqlmesh import Context
    from sqlmesh.core.console import configure_console, get_console

    from lake.config import load_config

    config = load_config()
    as_of = dt.date.fromisoformat(job["as_of"])
    execution_time = (as_of + dt.timedelta(days=1)).isoformat()
    end = as_of.isoformat()
    start = config.models.start

    failures: list[str] = []
    configure_console()
    console = get_console()
    original = console.log_failed_models

    def capture(errors: list[Any]) -> None:
        failures.extend(_describe_failure(e) for e in errors)
        original(errors)

    console.log_failed_models = capture  # type: ignore[method-assign]

    clock = time.monotonic()
    ctx = Context(paths=[str(PROJECT_DIR)])
    report = ModelsReport(as_of=as_of)

    def step(name: str) -> None:
        nonlocal clock
        now = time.monotonic()
        report.steps[name] = round(report.steps.get(name, 0.0) + now - clock, 3)
        clock = now

    step("load")
    try:
        previous = _warehouse_days(ctx)
        report.previous_as_of = max(previous) if previous else None
        lake = [d for d in lake_days(config) if start <= d <= as_of]
        report.new_days = [d for d in lake if report.previous_as_of is None or d > report.previous_as_of]

        environment = ctx.state_reader.get_environment("prod")
        if environment is None:
            report.action, report.reason = "plan", "first build"
        else:
            # skip_tests: only the diff is wanted here (the plan that applies a change runs them)
            plan = ctx.plan_builder("prod", execution_time=execution_time, skip_tests=True).build()
            if plan.has_changes:
                report.action, report.reason = "plan", "models changed"
            else:
                report.action = "run"
                report.reason = "new snapshots" if report.new_days else "up to date"

        restate = {dt.date.fromisoformat(x) for x in job["restate_days"]}
        # days outside [models.start, T] are in no model
        restate = {d for d in restate if start <= d <= as_of}
        if report.previous_as_of is not None:
            # days after previous_as_of are new: the run computes them
            restate = {d for d in restate if d <= report.previous_as_of}
            # lake days the warehouse lacks (a late dump for a day processed as a gap) or has
            # although the lake no longer does
            seen = set(previous)
            lake_old = {d for d in lake if d <= report.previous_as_of}
            report.reconciled_days = sorted(seen ^ lake_old)
            restate |= set(report.reconciled_days)
        # a first build computes every day from the lake: nothing to restate
        report.restated = [] if report.reason == "first build" else day_ranges(restate, lake)
        step("diff")

        if job["dry_run"]:
            report.reason = f"{report.action} ({report.reason})"
            report.action = "dry-run"
            return report

        # A changed project is planned first (its new model versions are built from the lake
        # anyway), then restated. Otherwise corrected days are restated *before* the run, as of
        # the warehouse's previous latest day: a run blocked by an audit on a day's old data
        # is repaired by restating that day, and the FULL models rebuilt by the restatement are
        # not marked done for the new days, which the run then computes (parents first).
        if report.action == "plan":
            ctx.plan("prod", execution_time=execution_time, auto_apply=True, no_prompts=True)
            _raise_if_failed("sqlmesh plan", failures)
            step("plan")
            _restate(ctx, report.restated, execution_time, failures)
            step("restate")
        else:
            previous_end = report.previous_as_of or as_of
            _restate(ctx, report.restated, (previous_end + dt.timedelta(days=1)).isoformat(), failures)
            step("restate")
            status = ctx.run("prod", execution_time=execution_time, end=end, ignore_cron=True)
            if status.is_failure:
                raise ModelsError(_failure_message("sqlmesh run", failures))
            report.nothing_to_do = status.is_nothing_to_do
            step("run")
        return report
    except ModelsError:
        raise
    except Exception as exc:  # SQLMesh raises many types; report them with the audit/model
        raise ModelsError(_failure_message(f"sqlmesh {report.action or 'plan'}", failures, exc)) from exc
    finally:
        ctx.close()


def _restate(
    ctx: Any, ranges: list[tuple[dt.date, dt.date]], execution_time: str, failures: list[str]
) -> None:
    for a, b in ranges:
        ctx.plan(
            "prod",
            restate_models=[LAKE_TAG],
            start=a.isoformat(),
            end=b.isoformat(),
            execution_time=execution_time,
            auto_apply=True,
            no_prompts=True,
            skip_tests=True,  # the models did not change: their unit tests ran when they did
        )
        _raise_if_failed(f"sqlmesh plan --restate-model {LAKE_TAG} --start {a} --end {b}", failures)


def _warehouse_days(ctx: Any) -> list[dt.date]:
    adapter = ctx.engine_adapter
    if not adapter.table_exists(RECONCILE_MODEL):
        return []
    rows = adapter.fetchall(f"SELECT DISTINCT snapshot_date FROM {RECONCILE_MODEL}")
    return sorted(r[0] for r in rows)


def _describe_failure(error: Any) -> str:
    """'audit <name> failed on model <model> (<n> rows)' or '<model>: <error>'."""
    from sqlmesh.utils.errors import AuditError, NodeAuditsErrors

    cause = error.__cause__ if error.__cause__ is not None else error
    node = getattr(error, "node", None)
    name = getattr(node, "snapshot_name", None) or str(node or "?")
    if isinstance(cause, NodeAuditsErrors):
        return "; ".join(_describe_audit(e) for e in cause.errors)
    if isinstance(cause, AuditError):
        return _describe_audit(cause)
    text = " ".join(str(cause).split())
    return f"model {name} failed: {text[:500]}"


def _describe_audit(e: Any) -> str:
    model = e.model.name if getattr(e, "model", None) is not None else "?"
    return f"audit {e.audit_name} failed on model {model} ({e.count} offending rows)"


def _raise_if_failed(what: str, failures: list[str]) -> None:
    if failures:
        raise ModelsError(_failure_message(what, failures))


def _failure_message(what: str, failures: list[str], exc: Optional[BaseException] = None) -> str:
    if failures:
        return f"{what} failed: " + "; ".join(dict.fromkeys(failures))
    if exc is not None:
        from sqlmesh.utils.errors import AuditError, NodeAuditsErrors

        if isinstance(exc, (AuditError, NodeAuditsErrors)):
            errs = exc.errors if isinstance(exc, NodeAuditsErrors) else [exc]
            return f"{what} failed: " + "; ".join(_describe_audit(e) for e in errs)
        text = " ".join(str(exc).split())
        return f"{what} failed: {type(exc).__name__}: {text[:800]}"
    return f"{what} failed (see the log above)"


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.models",
        description="Internal: the SQLMesh child process of pipeline.models.run_models.",
    )
    parser.add_argument("job", help="JSON file: {as_of, restate_days, dry_run}")
    parser.add_argument("result", help="JSON file the result is written to")
    args = parser.parse_args(argv)
    job = json.loads(Path(args.job).read_text(encoding="utf-8"))
    try:
        result: dict[str, Any] = {"report": _child(job).to_json()}
    except ModelsError as exc:
        result = {"error": str(exc)}
    except Exception as exc:
        result = {"error": f"{type(exc).__name__}: {exc}"}
    Path(args.result).write_text(json.dumps(result), encoding="utf-8")
    return 1 if "error" in result else 0


if __name__ == "__main__":
    sys.exit(main())
