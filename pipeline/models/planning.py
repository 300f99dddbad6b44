"""What a models run must do, decided from the lake and the warehouse alone: a pure function.

:func:`decide` takes the lake's committed days with their fingerprints (lake/manifest.py), the
fingerprints the warehouse computed each day from (``intermediate.computed_lake_days``), the
days an interrupted models run had started to compute (its intent, recorded in the warehouse
itself before it computed anything), whether SQLMesh's ``prod`` environment exists and whether
the project differs from it, and returns a :class:`ModelsPlan`: ``plan`` or ``run``, the as-of
date T, the new days, and the day ranges to restate. Nothing lives outside the warehouse and
the lake, so nothing can be lost: whatever happened before (a run killed at any moment, a
failed upload of the warehouse, an ingest run on its own, a raw SQLMesh command), the next run
restates exactly the days on which the lake and the warehouse disagree or that a dead run left
half-computed, and converges to what a clean build from the lake gives.

Rules:

* days before ``models.start`` are in no model and ignored on both sides;
* T = the latest committed lake day (:func:`lake.manifest.as_of_date`);
* no ``prod`` environment: ``plan`` (first build), nothing to restate -- it computes every day;
* otherwise ``plan`` when the project changed, else ``run``; the days after the warehouse's
  latest computed day are new (the run computes them); among the older days, every day whose
  fingerprint differs, every lake day the warehouse lacks (a late dump for a gap day) and every
  warehouse day the lake no longer has are restated;
* a warehouse without any record (built before the record existed) restates every day once;
* the days of an interrupted run are restated whatever their fingerprints say (SQLMesh restates
  in place, so a killed restatement can leave some models on newer content than the record:
  the fingerprint alone could miss it when the lake goes back to the recorded content); those
  older than the warehouse's latest computed day before the run, those newer after it
  (``restate_after``), when the run has computed the new days in every model;
* restated days are grouped into ranges contiguous in the lake (gap days don't split a range);
  more than :data:`MAX_RESTATE_RANGES` ranges become one covering range.

:func:`backfill` is the operator's range (``lakehouse backfill --start D --end E``): exactly
D..E is restated, as of the warehouse's latest computed day, and nothing else; it refuses what
would make it compute more than that (a changed project, an interrupted run, days the
warehouse has not computed yet) and names the command that does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Optional

from lake.errors import ModelsError, UsageError
from lake.manifest import as_of_date

#: more disjoint restate ranges than this are merged into one covering range (one backfill)
MAX_RESTATE_RANGES = 3

PLAN = "plan"
RUN = "run"
BACKFILL = "backfill"


@dataclass(frozen=True)
class ModelsPlan:
    #: "plan", "run" or "backfill"
    action: str
    #: "first build", "models changed", "new snapshots", "up to date", "no lake record"
    reason: str
    #: T, the latest committed lake day
    as_of: dt.date
    #: the warehouse's latest computed day before this run (None on a first build)
    previous_as_of: Optional[dt.date]
    #: lake days after previous_as_of: computed by the plan or run itself
    new_days: tuple[dt.date, ...] = ()
    #: days on which lake and warehouse disagree (changed, late or removed)
    mismatched_days: tuple[dt.date, ...] = ()
    #: (start, end) ranges to restate, in order
    restate: tuple[tuple[dt.date, dt.date], ...] = field(default_factory=tuple)
    #: ranges to restate after the plan/run: days an interrupted run had begun as new days
    restate_after: tuple[tuple[dt.date, dt.date], ...] = field(default_factory=tuple)

    @property
    def days_to_compute(self) -> list[dt.date]:
        """Every day this run may compute: the intent to record before computing anything."""
        days = set(self.new_days)
        for a, b in self.restate + self.restate_after:
            days |= {a + dt.timedelta(days=i) for i in range((b - a).days + 1)}
        return sorted(days)


def decide(
    lake: Mapping[dt.date, str],
    computed: Optional[Mapping[dt.date, str]],
    *,
    has_prod: bool,
    project_changed: bool,
    start: dt.date,
    interrupted: Iterable[dt.date] = (),
) -> ModelsPlan:
    """The plan of one models run (see the module docstring). Raises ModelsError on an empty lake."""
    lake = {d: fp for d, fp in lake.items() if d >= start}
    as_of = as_of_date(lake)
    if as_of is None:
        raise ModelsError(f"the lake has no committed snapshot day on or after models.start {start}")
    interrupted = {d for d in interrupted if start <= d <= as_of}
    if not has_prod:
        return ModelsPlan(
            PLAN,
            "first build",
            as_of,
            None,
            new_days=tuple(sorted(lake)),
            restate_after=tuple(day_ranges(interrupted, list(lake))),
        )
    action = PLAN if project_changed else RUN
    computed = {d: fp for d, fp in (computed or {}).items() if d >= start}
    if not computed:
        every = sorted(lake)
        return ModelsPlan(action, "no lake record", as_of, None, restate=tuple(day_ranges(every, every)))
    previous = max(computed)
    new_days = tuple(sorted(d for d in lake if d > previous))
    mismatched = {d for d, fp in lake.items() if d <= previous and computed.get(d) != fp}
    mismatched |= {d for d in computed if d not in lake and d <= as_of}
    restate = mismatched | {d for d in interrupted if d <= previous}
    after = {d for d in interrupted if d > previous}
    if action == PLAN:
        reason = "models changed"
    else:
        reason = "new snapshots" if new_days else "up to date"
    return ModelsPlan(
        action,
        reason,
        as_of,
        previous,
        new_days=new_days,
        mismatched_days=tuple(sorted(mismatched)),
        restate=tuple(day_ranges(restate, list(lake))),
        restate_after=tuple(day_ranges(after, list(lake))),
    )


def backfill(
    lake: Mapping[dt.date, str],
    computed: Optional[Mapping[dt.date, str]],
    *,
    has_prod: bool,
    project_changed: bool,
    start: dt.date,
    interrupted: Iterable[dt.date] = (),
    first: dt.date,
    last: Optional[dt.date] = None,
) -> ModelsPlan:
    """The plan of `lakehouse backfill --start first --end last` (see the module docstring).

    `last` defaults to the warehouse's latest computed day. Raises UsageError for a range the
    warehouse cannot recompute as asked, ModelsError when another run must come first.
    """
    if not has_prod or not computed:
        raise ModelsError("the warehouse has no models yet: `lakehouse models` builds every lake day first")
    if project_changed:
        raise ModelsError(
            "the project differs from the warehouse (a model, the seed or a kpi setting changed): "
            "`lakehouse models` applies the change first, then backfill recomputes the range"
        )
    pending = sorted(d for d in interrupted if d >= start)
    if pending:
        raise ModelsError(
            f"an interrupted models run left {len(pending)} day(s) half-computed "
            f"({pending[0]}..{pending[-1]}): `lakehouse models` recomputes them first"
        )
    computed = {d: fp for d, fp in computed.items() if d >= start}
    lake = {d: fp for d, fp in lake.items() if d >= start}
    previous = max(computed) if computed else None
    if previous is None:
        raise ModelsError(f"the warehouse has computed no day on or after models.start {start}")
    last = last or previous
    if first > last:
        raise UsageError(f"--start {first} is after --end {last}")
    if first < start:
        raise UsageError(f"--start {first} is before the models' first day {start} (models.start)")
    if last > previous:
        raise UsageError(
            f"--end {last} is after the warehouse's latest computed day {previous}: "
            "`lakehouse models` computes the new days"
        )
    changed = sorted(d for d, fp in lake.items() if first <= d <= last and computed.get(d) != fp)
    return ModelsPlan(
        BACKFILL, "requested", previous, previous, mismatched_days=tuple(changed), restate=((first, last),)
    )


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
