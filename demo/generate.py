"""Public API of the demo data: daily mysqldumps, lake partitions and the truth of any day.

* :func:`generate_dumps` writes one ``mysqldump`` file per day (``config.source.key_pattern``)
  into a folder or an ``s3://`` prefix, days rendered in parallel processes (gzip dominates).
* :func:`write_lake_direct` writes the lake partitions those dumps would produce, straight from
  the simulation, for benchmarks of hundreds of days without hundreds of dumps.
* :func:`expected_snapshot` / :func:`expected_rows` give the canonical rows of a day, so tests
  of the ingest compare what they parsed with the truth instead of with another parser.

Everything is a pure function of ``(profile, seed, start)``; the first N days are the same
whatever ``days`` is.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import logging
import multiprocessing
import os
import signal
import tempfile
import time
import zlib
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import Any, Optional, Union

import numpy as np
import pyarrow as pa

from demo.dumpwriter import InsertFormat, PrefixBlocks, Section, render_dump
from demo.pms_schema import (
    TenantRenderer,
    apartment_row,
    payment_rows,
    pms_tables,
    room_row,
    visit_log_rows,
)
from demo.simulate import STATE_FIELDS, Simulation, date_to_days, simulate
from lake.config import Config
from lake.layout import join
from lake.manifest import read_entry
from lake.s3 import is_s3
from lake.schema import TABLES
from lake.storage import storage_for
from loaders.partitions import commit_day

log = logging.getLogger(__name__)

DEFAULT_START = dt.date(2026, 1, 1)
DateLike = Union[dt.date, str]


def _as_date(value: DateLike) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _mb(n: int) -> str:
    return f"{n / 1e6:,.1f} MB"


# ----------------------------------------------------------------------------- reports


@dataclass
class GenerateReport:
    """What :func:`generate_dumps` wrote. ``tenants``/``rooms`` count the last day's dump."""

    days: int
    tenants: int
    rooms: int
    #: bytes written (compressed when the key pattern ends in .gz)
    bytes: int
    #: bytes of SQL text before compression
    raw_bytes: int
    seconds: float
    start: dt.date
    end: dt.date
    profile: str
    seed: int
    out_root: str
    files: list[str] = field(default_factory=list)

    def summary(self) -> str:
        rate = self.raw_bytes / self.seconds / 1e6 if self.seconds > 0 else 0.0
        return (
            f"{self.days} dump(s) {self.start}..{self.end} (profile {self.profile}, seed {self.seed}) -> "
            f"{self.out_root}: {self.tenants:,} tenants, {self.rooms:,} rooms on the last day; "
            f"{_mb(self.bytes)} written ({_mb(self.raw_bytes)} SQL) in {self.seconds:.1f} s "
            f"({rate:,.0f} MB/s SQL)"
        )


@dataclass
class LakeReport:
    """What :func:`write_lake_direct` wrote."""

    days: int
    rows: dict[str, int]
    bytes: int
    seconds: float
    start: dt.date
    end: dt.date
    profile: str
    lake_root: str

    def summary(self) -> str:
        counts = ", ".join(f"{n:,} {t} rows" for t, n in self.rows.items())
        return (
            f"{self.days} day(s) {self.start}..{self.end} (profile {self.profile}) -> {self.lake_root}: "
            f"{counts}; {_mb(self.bytes)} Parquet in {self.seconds:.1f} s"
        )


# ----------------------------------------------------------------------------- rendering a day


@dataclass(frozen=True)
class DumpOptions:
    """How the dump is written: mysqldump's defaults unless a test asks for another style."""

    extended_insert: bool = True
    complete_insert: bool = False
    #: gzip level of .gz keys; 1 because zlib at 6 is ~10x slower for ~30% smaller files
    compresslevel: int = 1
    host: str = "localhost"
    database: str = "pms"


class DayRenderer:
    """Renders any simulated day as dump chunks, caching each tenant version's row bytes.

    Built once in the parent (the big append-only tables are rendered there, once) and shared
    with the worker processes by fork; each worker then fills its own row caches.
    """

    def __init__(self, sim: Simulation, config: Optional[Config], options: DumpOptions) -> None:
        self.sim = sim
        self.options = options
        self.tables = pms_tables(config)
        self.formats = {
            role: InsertFormat(t.name, t.column_names, options.extended_insert, options.complete_insert)
            for role, t in self.tables.items()
        }
        last = dt.date.fromordinal(sim.end - 1)
        # bounds of the random ids in the unrelated tables: as of `start`, so any prefix of days is stable
        first_tenants = max(1, sim.max_tenant_id(dt.date.fromordinal(sim.start)))
        p = sim.profile
        self.payments = PrefixBlocks(
            self.formats["payments"],
            payment_rows(
                sim.seed,
                sim.start,
                p.payments_rows,
                p.payments_per_day,
                sim.payments_rows(last),
                first_tenants,
            ),
        )
        self.visit_logs = PrefixBlocks(
            self.formats["visit_logs"],
            visit_log_rows(
                sim.seed,
                sim.start,
                p.visit_logs_rows,
                p.visit_logs_per_day,
                sim.visit_logs_rows(last),
                first_tenants,
                sum(1 for r in sim.rooms if r.created <= sim.start),
            ),
        )
        self._tenant_rows = TenantRenderer(sim)
        self._tenant_cache: dict[int, tuple[int, bytes]] = {}
        self._room_cache: dict[int, tuple[int, bytes]] = {}
        self._apartment_cache: dict[int, bytes] = {}

    def _tenants(self, day: dt.date) -> Iterator[bytes]:
        cache, render = self._tenant_cache, self._tenant_rows
        for t, vidx in self.sim.tenants_on(day):
            hit = cache.get(t.id)
            if hit is None or hit[0] != vidx:
                hit = (vidx, render.row(t, vidx))
                cache[t.id] = hit
            yield hit[1]

    def _rooms(self, day: dt.date) -> Iterator[bytes]:
        cache = self._room_cache
        for r, vidx in self.sim.rooms_on(day):
            hit = cache.get(r.id)
            if hit is None or hit[0] != vidx:
                hit = (vidx, room_row(r, vidx))
                cache[r.id] = hit
            yield hit[1]

    def _apartments(self, day: dt.date) -> Iterator[bytes]:
        cache = self._apartment_cache
        for a in self.sim.apartments_on(day):
            row = cache.get(a.id)
            if row is None:
                row = cache[a.id] = apartment_row(a)
            yield row

    def completed_at(self, day: dt.date) -> dt.datetime:
        """The dump finishes early on the snapshot morning (deterministic per day)."""
        o = day.toordinal()
        return dt.datetime.fromordinal(o) + dt.timedelta(seconds=3 * 3600 + (o * 7919 + self.sim.seed) % 3600)

    def chunks(self, day: dt.date) -> Iterator[bytes]:
        sim, t, f = self.sim, self.tables, self.formats
        n_pay, n_visit = sim.payments_rows(day), sim.visit_logs_rows(day)
        sections = [
            Section(
                t["apartments"],
                max((a.id for a in sim.apartments_on(day)), default=0) + 1,
                lambda: f["apartments"].statements(self._apartments(day)),
            ),
            Section(t["payments"], n_pay + 1, lambda: self.payments.prefix(n_pay)),
            Section(
                t["rooms"],
                max((r.id for r, _ in sim.rooms_on(day)), default=0) + 1,
                lambda: f["rooms"].statements(self._rooms(day)),
            ),
            Section(
                t["tenants"], sim.max_tenant_id(day) + 1, lambda: f["tenants"].statements(self._tenants(day))
            ),
            Section(t["visit_logs"], n_visit + 1, lambda: self.visit_logs.prefix(n_visit)),
        ]
        return render_dump(sections, self.completed_at(day), self.options.host, self.options.database)

    def render(self, day: dt.date) -> bytes:
        """The whole SQL text of a day (tests; writers stream :meth:`chunks`)."""
        return b"".join(self.chunks(day))


# ----------------------------------------------------------------------------- writing dumps


@dataclass(frozen=True)
class _Job:
    renderer: DayRenderer
    config: Config
    out_root: str
    key_pattern: str


_JOB: Optional[_Job] = None


def _init_worker(job: _Job) -> None:
    global _JOB
    _JOB = job
    # A forked worker inherits the parent's signal handlers; the command's SIGTERM handler
    # (pipeline/cli) is for the command itself. Pool.terminate() stops workers with SIGTERM:
    # they must simply die of it, not run Python code (an idle worker blocked in a pool queue
    # lock never ran the inherited handler and hung the pool's join).
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)


def _write_day_in_worker(ordinal: int) -> tuple[int, str, int, int]:
    assert _JOB is not None
    return _write_day(_JOB, dt.date.fromordinal(ordinal))


def _write_day(job: _Job, day: dt.date) -> tuple[int, str, int, int]:
    """Render, compress and store one day; the object appears complete or not at all."""
    uri = join(job.out_root, job.key_pattern.format(date=day))
    gz = uri.endswith(".gz")
    if is_s3(uri):
        fd, local = tempfile.mkstemp(prefix="demo-dump-", suffix=".tmp")
    else:
        os.makedirs(os.path.dirname(uri) or ".", exist_ok=True)
        fd, local = tempfile.mkstemp(dir=os.path.dirname(uri) or ".", prefix=".", suffix=".tmp")
    raw = 0
    try:
        comp = zlib.compressobj(job.renderer.options.compresslevel, zlib.DEFLATED, 31) if gz else None
        with os.fdopen(fd, "wb", buffering=1 << 20) as fh:
            for chunk in job.renderer.chunks(day):
                raw += len(chunk)
                fh.write(comp.compress(chunk) if comp else chunk)
            if comp:
                fh.write(comp.flush())
        size = os.path.getsize(local)
        if is_s3(uri):
            storage_for(uri, job.config).upload_file(local, uri)
        else:
            os.replace(local, uri)
    finally:
        if os.path.exists(local):
            os.unlink(local)
    return day.toordinal(), uri, size, raw


def _pool_context() -> Any:
    """fork shares the simulation and the pre-rendered tables for free; spawn pickles them."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else None)


def generate_dumps(
    config: Config,
    out_root: Optional[str],
    start: DateLike,
    days: int,
    profile: str = "small",
    seed: int = 7,
    workers: int = 0,
    *,
    extended_insert: bool = True,
    complete_insert: bool = False,
    compresslevel: int = 1,
    only: Optional[Collection[dt.date]] = None,
) -> GenerateReport:
    """Write ``days`` daily dumps from ``start`` under ``out_root`` (None: ``config.source.root``).

    ``only``: write just these days of the ``days``-day simulation (a sample of a long history:
    each dump is the one the full run would write for that day).

    File names come from ``config.source.key_pattern`` (``.gz`` keys are gzip-compressed,
    others plain SQL); table and column names of tenants/rooms/apartments from
    ``config.tables``. ``workers`` processes render days in parallel (0 = CPU count).
    ``extended_insert``/``complete_insert`` mirror mysqldump's options of the same names.
    """
    t0 = time.monotonic()
    start = _as_date(start)
    if days < 1:
        raise ValueError(f"days must be >= 1, got {days}")
    out_root = (out_root or config.source.root).rstrip("/")
    sim = simulate(start, days, profile, seed)
    options = DumpOptions(extended_insert, complete_insert, compresslevel)
    renderer = DayRenderer(sim, config, options)
    job = _Job(renderer, config, out_root, config.source.key_pattern)
    ordinals = [o for o in range(sim.start, sim.end) if only is None or dt.date.fromordinal(o) in only]
    if not ordinals:
        raise ValueError(f"none of the {len(only or ())} days asked for is in {start} + {days} days")
    workers = min(workers or os.cpu_count() or 1, len(ordinals))
    results: list[tuple[int, str, int, int]] = []
    if workers <= 1:
        for o in ordinals:
            results.append(_write_day(job, dt.date.fromordinal(o)))
            log.debug("wrote %s", results[-1][1])
    else:
        with _pool_context().Pool(workers, initializer=_init_worker, initargs=(job,)) as pool:
            for res in pool.imap_unordered(_write_day_in_worker, ordinals):
                results.append(res)
                log.debug("wrote %s", res[1])
    results.sort()
    last = dt.date.fromordinal(sim.end - 1)
    return GenerateReport(
        days=len(results),
        tenants=sum(1 for _ in sim.tenants_on(last)),
        rooms=sum(1 for _ in sim.rooms_on(last)),
        bytes=sum(r[2] for r in results),
        raw_bytes=sum(r[3] for r in results),
        seconds=time.monotonic() - t0,
        start=start,
        end=last,
        profile=profile,
        seed=seed,
        out_root=out_root,
        files=[r[1] for r in results],
    )


def render_dump_text(
    start: DateLike,
    day: DateLike,
    profile: str = "small",
    seed: int = 7,
    days: Optional[int] = None,
    config: Optional[Config] = None,
    **options: Any,
) -> bytes:
    """The uncompressed SQL of one day's dump, in memory (for tests of parsers)."""
    start, day = _as_date(start), _as_date(day)
    sim = simulate(start, days or (day - start).days + 1, profile, seed)
    return DayRenderer(sim, config, DumpOptions(**options)).render(day)


# ----------------------------------------------------------------------------- the truth, as Arrow


class _Segments:
    """Every row version of each canonical table as [first, end) day intervals plus its values.

    A day's table is the rows whose interval contains the day, in id order: one vectorised
    comparison per day instead of walking the simulation.
    """

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.tables: dict[str, tuple[np.ndarray, np.ndarray, pa.Table]] = {
            "tenants": self._tenants(),
            "rooms": self._rooms(),
            "apartments": self._apartments(),
        }

    def _tenants(self) -> tuple[np.ndarray, np.ndarray, pa.Table]:
        sim = self.sim
        starts: list[int] = []
        ends: list[int] = []
        ids: list[int] = []
        names: list[str] = []
        states: list[tuple] = []
        for t in sim.tenants:
            stop = sim.end if t.deleted is None else min(t.deleted, sim.end)
            for i, (first, state) in enumerate(t.versions):
                last = t.versions[i + 1][0] if i + 1 < len(t.versions) else stop
                pieces = [(max(first, t.created), min(last, stop))]
                for a, b in t.hidden:
                    pieces = [p for s, e in pieces for p in ((s, min(e, a)), (max(s, b), e))]
                for s, e in pieces:
                    if s < e:
                        starts.append(s)
                        ends.append(e)
                        ids.append(t.id)
                        names.append(t.full_name)
                        states.append(state)
        cols = list(zip(*states)) if states else [()] * len(STATE_FIELDS)
        values: dict[str, Any] = {"id": ids, "full_name": names}
        for name, col in zip(STATE_FIELDS, cols):
            values[name] = (
                [None if v is None else date_to_days(v) for v in col] if name.endswith("date") else col
            )
        return np.array(starts), np.array(ends), _arrow("tenants", values)

    def _rooms(self) -> tuple[np.ndarray, np.ndarray, pa.Table]:
        sim = self.sim
        starts, ends, values = [], [], {"id": [], "apartment_id": [], "room_number": [], "is_active": []}
        for r in sim.rooms:
            for i, (first, active) in enumerate(r.versions):
                last = r.versions[i + 1][0] if i + 1 < len(r.versions) else sim.end
                if max(first, r.created) < last:
                    starts.append(max(first, r.created))
                    ends.append(last)
                    values["id"].append(r.id)
                    values["apartment_id"].append(r.apartment_id)
                    values["room_number"].append(r.room_number)
                    values["is_active"].append(active)
        return np.array(starts), np.array(ends), _arrow("rooms", values)

    def _apartments(self) -> tuple[np.ndarray, np.ndarray, pa.Table]:
        sim = self.sim
        apts = sim.apartments
        values = {"id": [a.id for a in apts], "name": [a.name for a in apts], "area": [a.area for a in apts]}
        starts = np.array([max(a.created, sim.start) for a in apts])
        return starts, np.full(len(apts), sim.end), _arrow("apartments", values)

    def day(self, table: str, day: dt.date) -> pa.Table:
        self.sim.check_day(day.toordinal())
        starts, ends, data = self.tables[table]
        o = day.toordinal()
        return data.take(pa.array(np.nonzero((starts <= o) & (ends > o))[0]))


def _arrow(table: str, values: dict[str, Any]) -> pa.Table:
    schema = TABLES[table].arrow_schema
    arrays = []
    for f in schema:
        if pa.types.is_date32(f.type):
            arrays.append(pa.array(values[f.name], pa.int32()).cast(pa.date32()))
        else:
            arrays.append(pa.array(values[f.name], f.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def _segments(sim: Simulation) -> _Segments:
    seg = getattr(sim, "_segments", None)
    if seg is None:
        seg = _Segments(sim)
        sim._segments = seg  # type: ignore[attr-defined]
    return seg


def expected_snapshot(
    start: DateLike, day: DateLike, profile: str = "small", seed: int = 7, days: Optional[int] = None
) -> dict[str, pa.Table]:
    """The canonical rows of ``day`` per table (``lake.schema`` Arrow schemas, id order).

    These are the rows an ingest must produce from that day's dump. ``days`` only picks which
    cached simulation to reuse; the answer is the same for any ``days`` covering ``day``.
    """
    start, day = _as_date(start), _as_date(day)
    sim = simulate(start, days or (day - start).days + 1, profile, seed)
    seg = _segments(sim)
    return {name: seg.day(name, day) for name in ("tenants", "rooms", "apartments")}


def expected_rows(
    start: DateLike, day: DateLike, profile: str = "small", seed: int = 7, days: Optional[int] = None
) -> dict[str, list[dict[str, Any]]]:
    """:func:`expected_snapshot` as plain Python rows (dates as ``datetime.date``)."""
    return {k: v.to_pylist() for k, v in expected_snapshot(start, day, profile, seed, days).items()}


# ----------------------------------------------------------------------------- lake, directly


def write_lake_direct(
    config: Config,
    start: DateLike,
    days: int,
    profile: str = "realistic",
    seed: int = 7,
    workers: int = 0,
) -> LakeReport:
    """Commit each day's lake tables straight from the simulation (no dump in between).

    The rows are exactly those the day's dump would give after ingest, and each day is
    committed like an ingested one (`loaders.partitions.commit_day`: content-named files, then
    the manifest entry, of kind ``simulation``), so the models read it like any other day.
    """
    t0 = time.monotonic()
    start = _as_date(start)
    sim = simulate(start, days, profile, seed)
    seg = _segments(sim)
    root = config.lake.root
    store = storage_for(root, config)
    rows = {name: 0 for name in seg.tables}
    written = 0

    def one(day: dt.date) -> tuple[dict[str, int], int]:
        tables = {name: seg.day(name, day) for name in seg.tables}
        entry = {"kind": "simulation", "source": f"demo.simulate profile={profile} seed={seed} start={start}"}
        old = read_entry(store, root, day)  # a day written before: its old files go
        outcome = commit_day(config, day, tables, entry, old, force=True)
        return outcome.rows, outcome.bytes

    dates = sim.dates()
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        for counts, nbytes in pool.map(one, dates):
            written += nbytes
            for name, n in counts.items():
                rows[name] += n
    return LakeReport(
        days=len(dates),
        rows=rows,
        bytes=written,
        seconds=time.monotonic() - t0,
        start=start,
        end=dates[-1],
        profile=profile,
        lake_root=root,
    )


__all__ = [
    "DEFAULT_START",
    "DayRenderer",
    "DumpOptions",
    "GenerateReport",
    "LakeReport",
    "expected_rows",
    "expected_snapshot",
    "generate_dumps",
    "render_dump_text",
    "write_lake_direct",
]
