"""The SQLMesh child of :func:`pipeline.models.runner.run_models`: ``python -m pipeline.models.child``.

Runs SQLMesh's Python API (``sqlmesh.Context``) on the project with ``$LAKEHOUSE_CONFIG`` set
by the runner:

1. **Inputs of the decision**: the lake's committed days and fingerprints
   (:func:`lake.manifest.committed_days`), the fingerprints the warehouse computed each day from
   (``intermediate.computed_lake_days``), the intent of an interrupted run (:data:`INTENT_TABLE`),
   whether ``prod`` exists and whether the project differs from it: SQLMesh's plan diff, skipped
   (~1 s) when the project's fingerprint and ``prod``'s plan id are those recorded after the
   last successful run (:data:`FINGERPRINT_TABLE`; a plan made by anything else, such as
   ``lakehouse sqlmesh plan``, changes the plan id, and the diff runs again).
   :func:`pipeline.models.planning.decide` turns them into the plan.
2. **Intent first**: before computing anything, the days the run may compute are written to
   :data:`INTENT_TABLE` in the warehouse itself; they are removed only when the run succeeded.
   A run killed at any moment leaves them, and the next run recomputes them whatever the
   fingerprints say. In the warehouse, the intent can never be lost apart from the data it
   protects (a persisted copy has neither a half-done run nor its intent). The job's tables
   (``lakehouse_state.*``) live with SQLMesh's state (:func:`_state_adapter`): the warehouse
   file on either gateway (on ``spark`` the models' tables are Spark's, the state is DuckDB's).
3. **SQLMesh's clock is pinned to the lake**: ``execution_time = T + 1 day`` (00:00 UTC) and
   ``end = T``. The models allow partial day intervals, so a plain ``sqlmesh run`` computes a
   dump dated today from 00:00 UTC; a dump is dated the morning it is taken (JST), which can be
   the previous evening in UTC, when no interval covers it yet. Pinning the clock makes every
   day up to T due now, and never a day the lake does not have.
4. **Plan or run**: ``sqlmesh plan`` (auto-applied) on the first build or when the project
   changed, ``sqlmesh run`` (``ignore_cron``) otherwise; then (plan) or before (run) the
   restatements: ``sqlmesh plan --restate-model tag:lake --start A --end B`` per range, which
   recomputes every model reading the lake and everything downstream. A backfill
   (``lakehouse backfill``, :func:`pipeline.models.planning.backfill`) is that restatement of
   the operator's range alone, as of the warehouse's latest computed day.

The result (a ModelsReport or an error line) goes to the JSON file named on the command line.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any, Optional

from sqlmesh.core.loader import SqlMeshLoader

from lake.errors import LakehouseError, ModelsError
from pipeline.models.failures import describe_failure, failure_message, raise_if_failed
from pipeline.models.planning import BACKFILL, PLAN, backfill, decide
from pipeline.models.report import ModelsReport, days_text
from pipeline.sqlmesh_env import PROJECT_DIR, project_fingerprint

log = logging.getLogger("lakehouse.models")

#: SQLMesh selector of every model that reads the lake (and so must be restated when a day changes)
LAKE_TAG = "tag:lake"
#: the projection accuracy: rows keyed by the projected date, restated further (see _restate)
ACCURACY_MODEL = "gold.occupancy_projection_accuracy"
#: the model recording the lake content each day was computed from
RECORD_MODEL = "intermediate.computed_lake_days"
#: the days a models run is computing, written before it computes and cleared after success
INTENT_TABLE = "lakehouse_state.models_intent"
#: the project (pipeline.sqlmesh_env.project_fingerprint) and prod plan of the last successful run
FINGERPRINT_TABLE = "lakehouse_state.models_project"


@contextlib.contextmanager
def collecting():
    """Python's cyclic garbage collector on for the length of a plan (the child runs without it).

    Loaded, SQLMesh holds millions of objects (models, snapshots, sqlglot trees) that every
    full collection walks, while a run allocates heavily (each model's query is copied and
    rendered several times): collections took ~0.7 s of a 400-day daily run (py-spy; the
    child's run 7.4-8.1 s without the collector against 9.0-9.2 s with it, alternated). A run
    leaves ~50 MB of cycles, which live until the child exits. A plan (a first build, a
    backfill, a restatement) collects: a first build would leave ~260 MB, a long backfill more.
    """
    gc.enable()
    try:
        yield
    finally:
        gc.disable()


def warm_up() -> None:
    """Import what a run needs (SQLMesh: ~1.5 s) without reading the lake, the project or the warehouse."""
    import sqlmesh.core.console  # noqa: F401
    from sqlmesh import Context  # noqa: F401


def run_job(job: dict[str, Any]) -> ModelsReport:
    """Runs in the child, with $LAKEHOUSE_CONFIG set by `run_models`."""
    from sqlmesh import Context
    from sqlmesh.core.console import configure_console, get_console

    from lake.config import load_config
    from lake.manifest import as_of_date, committed_days, models_start, pin_lake_days, unpin_lake_days

    config = load_config()
    failures: list[str] = []
    configure_console()
    console = get_console()
    original = console.log_failed_models

    def capture(errors: list[Any]) -> None:
        failures.extend(describe_failure(e) for e in errors)
        original(errors)

    console.log_failed_models = capture  # type: ignore[method-assign]

    clock = time.monotonic()
    steps: dict[str, float] = {}

    def step(name: str) -> None:
        nonlocal clock
        now = time.monotonic()
        steps[name] = round(steps.get(name, 0.0) + now - clock, 3)
        clock = now

    days = committed_days(config)
    lake = {d: day.fingerprint for d, day in days.items()}
    start = models_start(config, lake)
    before = sorted(d for d in lake if d < start)
    if before:
        log.warning(
            "%d lake day(s) before models.start %s are in no model: %s (set models.start to null "
            "to follow the lake)", len(before), start, days_text(before),
        )  # fmt: skip
    as_of = as_of_date(lake, start)
    if as_of is None:
        raise ModelsError(
            f"the lake {config.lake.root} has no committed snapshot day on or after models.start "
            f"{start}: ingest dumps first"
        )
    execution_time = (as_of + dt.timedelta(days=1)).isoformat()
    fingerprint = project_fingerprint(config)
    recorded = _recorded_fingerprint(config.warehouse.path)
    # the same project as the last successful run: no plan can follow, so its unit tests (YAML
    # that SQLMesh parses at every load) are not loaded
    same_project = recorded is not None and recorded[0] == fingerprint
    # SQLMesh's lake views and signals see the listing the decisions below are made on
    pin_lake_days(config.lake.root, days)
    ctx = Context(paths=[str(PROJECT_DIR)], loader=_LoaderWithoutTests if same_project else None)
    step("load")
    action = "plan"
    try:
        prod = ctx.state_reader.get_environment("prod")
        has_prod = prod is not None
        changed = False
        checked = "project"  # the step's name when the recorded fingerprint vouched for the project
        if has_prod and recorded != (fingerprint, prod.plan_id):
            checked = "diff"
            # skip_tests: only the diff is wanted here (the plan that applies a change runs them)
            changed = (
                ctx.plan_builder("prod", execution_time=execution_time, skip_tests=True).build().has_changes
            )
        interrupted = _read_intent(_state_adapter(ctx))
        state = dict(has_prod=has_prod, project_changed=changed, start=start, interrupted=interrupted)
        computed = _computed_days(ctx) if has_prod else None
        if job.get("backfill"):
            first, last = (dt.date.fromisoformat(x) if x else None for x in job["backfill"])
            plan = backfill(lake, computed, first=first, last=last, **state)
        else:
            plan = decide(lake, computed, **state)
        action = plan.action
        report = ModelsReport.from_plan(plan, sorted(interrupted))
        step(checked)
        if job["dry_run"]:
            report.reason = f"{report.action} ({report.reason})"
            report.action = "dry-run"
            report.steps = steps
            return report
        _write_intent(_state_adapter(ctx), plan.days_to_compute)

        # A changed project is planned first (its new model versions are built from the lake
        # anyway), then restated. Otherwise the days to restate are restated *before* the run,
        # as of the warehouse's previous latest day: a run blocked by an audit on a day's old
        # data is repaired by restating that day, and the FULL models rebuilt by the
        # restatement are not marked done for the new days, which the run then computes.
        if plan.action == BACKFILL:
            # as of the warehouse's latest computed day: the FULL models rebuilt by the
            # restatement are not marked done for lake days the warehouse has not computed
            assert plan.previous_as_of is not None
            _restate(
                ctx,
                plan.restate,
                (plan.previous_as_of + dt.timedelta(days=1)).isoformat(),
                failures,
                config.kpi.forward_days,
            )
            step("restate")
        elif plan.action == PLAN:
            if same_project:  # prod was changed elsewhere: this plan runs the unit tests, load them
                ctx.close()
                ctx = Context(paths=[str(PROJECT_DIR)])
            with collecting():
                ctx.plan("prod", execution_time=execution_time, auto_apply=True, no_prompts=True)
            raise_if_failed("sqlmesh plan", failures)
            step("plan")
            _restate(
                ctx, plan.restate + plan.restate_after, execution_time, failures, config.kpi.forward_days
            )
            step("restate")
        else:
            previous_end = plan.previous_as_of or as_of
            _restate(
                ctx,
                plan.restate,
                (previous_end + dt.timedelta(days=1)).isoformat(),
                failures,
                config.kpi.forward_days,
            )
            step("restate")
            status = ctx.run("prod", execution_time=execution_time, end=as_of.isoformat(), ignore_cron=True)
            if status.is_failure:
                raise ModelsError(failure_message("sqlmesh run", failures))
            report.nothing_to_do = status.is_nothing_to_do
            step("run")
            _restate(ctx, plan.restate_after, execution_time, failures, config.kpi.forward_days)
            step("restate")
        _clear_intent(_state_adapter(ctx))
        _write_fingerprint(ctx, fingerprint)
        report.steps = steps
        return report
    except LakehouseError:
        raise
    except Exception as exc:  # SQLMesh raises many types; report them with the audit/model
        raise ModelsError(failure_message(f"sqlmesh {action}", failures, exc)) from exc
    finally:
        ctx.close()
        unpin_lake_days(config.lake.root)


def _restate(ctx: Any, ranges: Any, execution_time: str, failures: list[str], forward_days: int) -> None:
    """Restate each range in every model reading the lake (and all downstream).

    Then the projection accuracy again for D = A .. B + forward_days (up to the execution
    time): its rows are keyed by the projected date D, but a restated snapshot day T' also
    changes the rows of the dates its projection covers (gold.occupancy_projection_accuracy).
    """
    if not ranges:  # (turning the collector on costs a full collection: ~0.5 s)
        return
    last = dt.date.fromisoformat(execution_time[:10]) - dt.timedelta(days=1)
    with collecting():
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
            raise_if_failed(f"sqlmesh plan --restate-model {LAKE_TAG} --start {a} --end {b}", failures)
            end = min(b + dt.timedelta(days=forward_days), last)
            if end > b:
                ctx.plan(
                    "prod",
                    restate_models=[ACCURACY_MODEL],
                    start=(b + dt.timedelta(days=1)).isoformat(),
                    end=end.isoformat(),
                    execution_time=execution_time,
                    auto_apply=True,
                    no_prompts=True,
                    skip_tests=True,
                )
                raise_if_failed(
                    f"sqlmesh plan --restate-model {ACCURACY_MODEL} --start {b} --end {end}", failures
                )


def _recorded_fingerprint(warehouse: str) -> Optional[tuple[str, str]]:
    """(project fingerprint, prod plan id) recorded by the last successful run, if any.

    Read before SQLMesh opens the warehouse (it decides what SQLMesh loads), on a read-only
    connection closed at once.
    """
    import duckdb

    if not Path(warehouse).is_file():
        return None
    schema, table = FINGERPRINT_TABLE.split(".")
    try:
        con = duckdb.connect(warehouse, read_only=True)
    except duckdb.Error:  # unreadable here: SQLMesh will say why
        return None
    try:
        exists = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?", [schema, table]
        ).fetchone()[0]
        if not exists:
            return None
        row = con.execute(f"SELECT project_fingerprint, prod_plan_id FROM {FINGERPRINT_TABLE}").fetchone()
        return (row[0], row[1]) if row else None
    finally:
        con.close()


class _LoaderWithoutTests(SqlMeshLoader):
    """SQLMesh's loader without the YAML unit tests (for runs that cannot plan: nothing to test)."""

    def load_model_tests(self) -> list:
        return []


def _write_fingerprint(ctx: Any, fingerprint: str) -> None:
    """Record the project the warehouse's prod now matches (after a successful run or plan)."""
    prod = ctx.state_reader.get_environment("prod")
    adapter = _state_adapter(ctx)
    adapter.execute("CREATE SCHEMA IF NOT EXISTS lakehouse_state")
    adapter.execute(
        f"CREATE TABLE IF NOT EXISTS {FINGERPRINT_TABLE} (project_fingerprint VARCHAR NOT NULL, "
        "prod_plan_id VARCHAR NOT NULL, written_at TIMESTAMP)"
    )
    adapter.execute(f"DELETE FROM {FINGERPRINT_TABLE}")
    if prod is not None:
        adapter.execute(f"INSERT INTO {FINGERPRINT_TABLE} VALUES ('{fingerprint}', '{prod.plan_id}', now())")


def _state_adapter(ctx: Any) -> Any:
    """The engine adapter of SQLMesh's state: the DuckDB warehouse file on every gateway.

    The job's own tables (intent, project record) are kept there, beside SQLMesh's, and read
    before SQLMesh starts (:func:`_recorded_fingerprint`). On the duckdb gateway it is the
    models' database itself.
    """
    state = ctx.state_sync
    return getattr(getattr(state, "state_sync", state), "engine_adapter", None) or ctx.engine_adapter


def _computed_days(ctx: Any) -> Optional[dict[dt.date, str]]:
    """What the warehouse computed each day from; None when it has no record (an old warehouse)."""
    adapter = ctx.engine_adapter
    if not adapter.table_exists(RECORD_MODEL):
        return None
    rows = adapter.fetchall(f"SELECT snapshot_date, lake_fingerprint FROM {RECORD_MODEL}")
    return {r[0]: r[1] for r in rows}


def _read_intent(adapter: Any) -> set[dt.date]:
    """The days an interrupted run had begun to compute (empty after a successful run)."""
    if not adapter.table_exists(INTENT_TABLE):
        return set()
    return {r[0] for r in adapter.fetchall(f"SELECT DISTINCT snapshot_date FROM {INTENT_TABLE}")}


def _write_intent(adapter: Any, days: list[dt.date]) -> None:
    adapter.execute("CREATE SCHEMA IF NOT EXISTS lakehouse_state")
    adapter.execute(
        f"CREATE TABLE IF NOT EXISTS {INTENT_TABLE} (snapshot_date DATE NOT NULL, written_at TIMESTAMP)"
    )
    if days:
        values = ", ".join(f"(DATE '{d.isoformat()}', now())" for d in days)
        adapter.execute(f"INSERT INTO {INTENT_TABLE} VALUES {values}")


def _clear_intent(adapter: Any) -> None:
    if adapter.table_exists(INTENT_TABLE):
        adapter.execute(f"DELETE FROM {INTENT_TABLE}")


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.models.child",
        description="Internal: the SQLMesh child process of pipeline.models.runner.run_models.",
    )
    parser.add_argument("job", help="JSON file: {backfill: [start, end] or null, dry_run}")
    parser.add_argument("result", help="JSON file the result is written to")
    parser.add_argument(
        "--wait",
        action="store_true",
        help="import SQLMesh, then wait for a line on stdin before reading the job (end of input: exit)",
    )
    args = parser.parse_args(argv)
    gc.disable()  # this process is short-lived: see collecting()
    if args.wait:
        warm_up()
        if not sys.stdin.readline():  # the job ended without running the models
            return 0
    job = json.loads(Path(args.job).read_text(encoding="utf-8"))
    try:
        result: dict[str, Any] = {"report": run_job(job).to_json()}
    except LakehouseError as exc:
        result = {"error": str(exc), "exit_code": exc.exit_code}
    except Exception as exc:
        result = {"error": f"{type(exc).__name__}: {exc}"}
    Path(args.result).write_text(json.dumps(result), encoding="utf-8")
    return 1 if "error" in result else 0


def exit_now(code: int) -> None:
    """Exit without the interpreter's teardown of SQLMesh's modules and objects (~0.3 s).

    Everything that matters is done by then: the warehouse connection is closed (checkpointed)
    by ``run_job`` and the result file is written; the streams and logs are flushed here.
    """
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    exit_now(main())
