"""The SQL that differs between the engines the models run on (gateways duckdb and spark).

The models are written once, in DuckDB's dialect, and SQLMesh's transpiler (sqlglot) writes
them for the gateway's engine. Where the engines have no common spelling of a rule, a macro
here writes each engine's SQL for the engine that runs it: the engine adapter's dialect when
the query is evaluated (a unit test runs on DuckDB whatever the gateway), else (while SQLMesh
loads the project) the gateway variable ``engine`` of sqlmesh_project/config.py. Everything
else in the models is SQL both engines accept.
"""

from __future__ import annotations

from sqlglot import exp
from sqlmesh import macro

from lake.config import MODEL_GATEWAYS as ENGINES  # the gateways are named for their engines


def engine(evaluator) -> str:
    """The engine the rendered SQL runs on: "duckdb" or "spark"."""
    adapter = evaluator.locals.get("engine_adapter")
    name = adapter.dialect if adapter is not None else (evaluator.var("engine") or "duckdb")
    if name not in ENGINES:
        raise ValueError(f"unknown engine {name!r} (gateway variable `engine`: one of {', '.join(ENGINES)})")
    return name


@macro()
def first_by(evaluator, value, order):
    """`value` on the row with the smallest `order`, NULL when that row's value is NULL.

    DuckDB's ARG_MIN skips rows whose value is NULL, so DuckDB needs ARG_MIN_NULL; Spark's
    MIN_BY keeps them (and ignores NULL orders, as ARG_MIN_NULL does).
    """
    if engine(evaluator) == "spark":
        return exp.ArgMin(this=value, expression=order)
    return exp.Anonymous(this="ARG_MIN_NULL", expressions=[value, order])
