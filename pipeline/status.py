"""`lakehouse status`: freshness and the last runs at a glance, for a person and for monitoring.

:func:`collect_status` reads, and never writes: the lake's manifest entries, the source listing
(the one the ingest uses), the analysts' marts manifest (what the warehouse last computed, so
the warehouse DuckDB file, which a running job may hold, is never opened) and MySQL's
``publish_log``. It takes no lock, so it answers while `lakehouse daily` runs. Every service
call is bounded by short timeouts (S3 at most 3 s to connect, 10 s to answer, 2 attempts;
MySQL at most 5 s to connect, no retry; smaller configured values win).

Verdict (:attr:`Status.status`, :attr:`Status.exit_code`):

* ``unknown`` (exit 1): something could not be read (S3, the lake, the source, the marts
  manifest, MySQL when ``publish.enabled``); ``unknown`` lists what;
* ``attention`` (exit 3): the newest dump is older than ``source.max_age_days`` (or there is
  none), the warehouse is behind the lake (a lake day newer than its as-of date, or one whose
  fingerprint differs from the one it was computed from: the next models run computes them),
  or, with ``publish.enabled``, the last publish failed (after the last success), a table was
  never published or was published as of a day older than the warehouse's; ``attention``
  lists why. Gap days and corrected days alone are information, not attention;
* ``ok`` (exit 0) otherwise.

JSON keys (``lakehouse status --json``; dates ``YYYY-MM-DD``, times UTC ``YYYY-MM-DDTHH:MM:SSZ``,
``null`` when unknown or not applicable; keys are only ever added):

* ``status`` ``"ok" | "attention" | "unknown"``, ``exit_code``, ``attention`` and ``unknown``
  (lists of one-line reasons), ``checked_at`` (UTC), ``today`` and ``timezone`` (the date in
  ``source.timezone``, against which ages count);
* ``lake``: ``root``, ``first_day``, ``last_day``, ``day_count``, ``gap_count``, ``gaps`` (every
  calendar day between first and last without a committed day), ``corrected_count``,
  ``corrected`` (``[{day, replaced_at, replaces, corrections}]``: days whose committed content
  was replaced, from the manifest entry's correction record), ``error``;
* ``last_ingest``: ``at`` (the newest manifest entry's write time), ``day``, ``source``;
* ``source``: ``root``, ``key_pattern``, ``dump_count``, ``newest_day``, ``newest_uri``,
  ``age_days``, ``max_age_days``, ``stale`` (bool), ``problems`` (names the ingest rejects),
  ``error``;
* ``warehouse``: ``computed`` (bool: a models run exported marts), ``as_of``, ``written_at``,
  ``session``, ``computed_count``, ``computed_first_day``, ``computed_last_day``,
  ``behind_count``, ``behind`` (days the next models run computes), ``error``;
* ``publish``: ``enabled``, ``log_table``, ``tables`` (``[{table, rows, as_of, published_at,
  run_id, strategy}]``, the last success per MySQL table), ``never_published`` (tables),
  ``last_success_at``, ``last_failure`` (``{at, as_of, run_id, message}`` or null),
  ``failed_since_success`` (bool), ``error``;
* ``services``: ``s3`` ``{used, ok, endpoint, error}``, ``mysql`` ``{used, ok, address, error}``
  (``ok`` is null when not used or not reached).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

from lake.config import Config
from lake.errors import LakehouseError
from lake.s3 import endpoint_name, is_s3

#: days listed by name in the human output before "(+N more)"
SHOWN_DAYS = 6

#: the short timeouts of a status call (a configured smaller value wins)
S3_CONNECT_TIMEOUT, S3_READ_TIMEOUT, S3_MAX_ATTEMPTS = 3, 10, 2
MYSQL_CONNECT_TIMEOUT = 5

#: the error of a section left unread because its service does not answer (not a reason of its own)
S3_DOWN, MYSQL_DOWN = "S3 does not answer", "MySQL does not answer"


# --------------------------------------------------------------------------- the sections


@dataclass
class Correction:
    day: dt.date
    #: UTC time of the commit that replaced the day's content
    replaced_at: Optional[str]
    #: fingerprint of the content it replaced
    replaces: Optional[str]
    corrections: int = 1

    def to_json(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "replaced_at": self.replaced_at,
            "replaces": self.replaces,
            "corrections": self.corrections,
        }


@dataclass
class LakeStatus:
    root: str
    days: list[dt.date] = field(default_factory=list)
    gaps: list[dt.date] = field(default_factory=list)
    corrected: list[Correction] = field(default_factory=list)
    last_ingest_at: Optional[str] = None
    last_ingest_day: Optional[dt.date] = None
    last_ingest_source: Optional[str] = None
    error: Optional[str] = None

    @property
    def first_day(self) -> Optional[dt.date]:
        return self.days[0] if self.days else None

    @property
    def last_day(self) -> Optional[dt.date]:
        return self.days[-1] if self.days else None

    def to_json(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "first_day": _iso(self.first_day),
            "last_day": _iso(self.last_day),
            "day_count": len(self.days),
            "gap_count": len(self.gaps),
            "gaps": [d.isoformat() for d in self.gaps],
            "corrected_count": len(self.corrected),
            "corrected": [c.to_json() for c in self.corrected],
            "error": self.error,
        }


@dataclass
class SourceStatus:
    root: str
    key_pattern: str
    max_age_days: Optional[int]
    dump_count: int = 0
    newest_day: Optional[dt.date] = None
    newest_uri: Optional[str] = None
    age_days: Optional[int] = None
    #: why the input is stale (pipeline.daily.stale_input), "" when fresh or not checked
    stale: str = ""
    problems: list[str] = field(default_factory=list)
    error: Optional[str] = None

    def to_json(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "key_pattern": self.key_pattern,
            "dump_count": self.dump_count,
            "newest_day": _iso(self.newest_day),
            "newest_uri": self.newest_uri,
            "age_days": self.age_days,
            "max_age_days": self.max_age_days,
            "stale": bool(self.stale),
            "problems": list(self.problems),
            "error": self.error,
        }


@dataclass
class WarehouseStatus:
    #: a models run exported marts (lake/marts.py): the warehouse computed something
    computed: bool = False
    as_of: Optional[dt.date] = None
    written_at: Optional[str] = None
    session: Optional[str] = None
    computed_days: list[dt.date] = field(default_factory=list)
    #: lake days the next models run computes (new, changed, or removed from the lake)
    behind: list[dt.date] = field(default_factory=list)
    error: Optional[str] = None

    def to_json(self) -> dict[str, Any]:
        return {
            "computed": self.computed,
            "as_of": _iso(self.as_of),
            "written_at": self.written_at,
            "session": self.session,
            "computed_count": len(self.computed_days),
            "computed_first_day": _iso(min(self.computed_days, default=None)),
            "computed_last_day": _iso(max(self.computed_days, default=None)),
            "behind_count": len(self.behind),
            "behind": [d.isoformat() for d in self.behind],
            "error": self.error,
        }


@dataclass
class PublishedTable:
    table: str
    rows: int
    as_of: Optional[dt.date]
    published_at: Optional[str]
    run_id: str
    strategy: str
    #: publish_log id (later runs have larger ids)
    log_id: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "rows": self.rows,
            "as_of": _iso(self.as_of),
            "published_at": self.published_at,
            "run_id": self.run_id,
            "strategy": self.strategy,
        }


@dataclass
class PublishFailure:
    at: Optional[str]
    as_of: Optional[dt.date]
    run_id: str
    message: str
    log_id: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"at": self.at, "as_of": _iso(self.as_of), "run_id": self.run_id, "message": self.message}


@dataclass
class PublishStatus:
    enabled: bool
    log_table: str
    #: MySQL tables the publish writes ("<database>.<table>")
    expected: list[str] = field(default_factory=list)
    tables: list[PublishedTable] = field(default_factory=list)
    last_failure: Optional[PublishFailure] = None
    error: Optional[str] = None

    @property
    def never_published(self) -> list[str]:
        done = {t.table for t in self.tables}
        return [t for t in self.expected if t not in done]

    @property
    def last_success_at(self) -> Optional[str]:
        return max((t.published_at for t in self.tables if t.published_at), default=None)

    @property
    def failed_since_success(self) -> bool:
        f = self.last_failure
        return f is not None and f.log_id > max((t.log_id for t in self.tables), default=0)

    def to_json(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "log_table": self.log_table,
            "tables": [t.to_json() for t in self.tables],
            "never_published": self.never_published if self.enabled and self.error is None else [],
            "last_success_at": self.last_success_at,
            "last_failure": self.last_failure.to_json() if self.last_failure else None,
            "failed_since_success": self.failed_since_success,
            "error": self.error,
        }


@dataclass
class ServiceStatus:
    used: bool
    target: Optional[str] = None
    ok: Optional[bool] = None
    error: Optional[str] = None

    def to_json(self, target_key: str) -> dict[str, Any]:
        return {"used": self.used, "ok": self.ok, target_key: self.target, "error": self.error}


@dataclass
class Status:
    checked_at: str
    today: dt.date
    timezone: str
    lake: LakeStatus
    source: SourceStatus
    warehouse: WarehouseStatus
    publish: PublishStatus
    s3: ServiceStatus
    mysql: ServiceStatus
    attention: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "unknown" if self.unknown else "attention" if self.attention else "ok"

    @property
    def exit_code(self) -> int:
        return {"ok": 0, "attention": 3, "unknown": 1}[self.status]

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "exit_code": self.exit_code,
            "attention": list(self.attention),
            "unknown": list(self.unknown),
            "checked_at": self.checked_at,
            "today": self.today.isoformat(),
            "timezone": self.timezone,
            "lake": self.lake.to_json(),
            "last_ingest": {
                "at": self.lake.last_ingest_at,
                "day": _iso(self.lake.last_ingest_day),
                "source": self.lake.last_ingest_source,
            },
            "source": self.source.to_json(),
            "warehouse": self.warehouse.to_json(),
            "publish": self.publish.to_json(),
            "services": {"s3": self.s3.to_json("endpoint"), "mysql": self.mysql.to_json("address")},
        }

    def json_text(self) -> str:
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False)

    def text(self) -> str:
        return "\n".join(render_lines(self))


# --------------------------------------------------------------------------- pure helpers


def _iso(day: Optional[dt.date]) -> Optional[str]:
    return day.isoformat() if day else None


def utc_text(value: Any) -> Optional[str]:
    """A time as ``YYYY-MM-DDTHH:MM:SSZ`` (naive values are UTC); None/unparseable -> None/as is."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if not isinstance(value, dt.datetime):
        return str(value)
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def gap_days(days: Iterable[dt.date]) -> list[dt.date]:
    """Calendar days between the first and the last of `days` that are not among them."""
    have = set(days)
    if not have:
        return []
    first, last = min(have), max(have)
    return [
        first + dt.timedelta(days=i)
        for i in range((last - first).days)
        if first + dt.timedelta(days=i) not in have
    ]


def day_ranges(days: Iterable[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """`days` as runs of consecutive calendar days, in order."""
    ranges: list[tuple[dt.date, dt.date]] = []
    for d in sorted(set(days)):
        if ranges and d == ranges[-1][1] + dt.timedelta(days=1):
            ranges[-1] = (ranges[-1][0], d)
        else:
            ranges.append((d, d))
    return ranges


def format_days(days: Sequence[dt.date], shown: int = SHOWN_DAYS) -> str:
    """``2026-01-05..2026-01-07, 2026-01-10`` -- at most `shown` runs, then ``(+N more days)``."""
    ranges = day_ranges(days)
    parts = [a.isoformat() if a == b else f"{a}..{b}" for a, b in ranges[:shown]]
    rest = sum((b - a).days + 1 for a, b in ranges[shown:])
    return ", ".join(parts) + (f" (+{rest} more day{'s' if rest != 1 else ''})" if rest else "")


def corrections(entries: Mapping[dt.date, Mapping[str, Any]]) -> list[Correction]:
    """The days whose manifest entry records a replaced content (loaders.partitions), oldest first."""
    found = []
    for day, entry in sorted(entries.items()):
        if entry.get("replaced_at") or entry.get("replaces"):
            found.append(
                Correction(
                    day,
                    utc_text(entry.get("replaced_at")),
                    entry.get("replaces"),
                    int(entry.get("corrections") or 1),
                )
            )
    return found


def last_ingest(
    entries: Mapping[dt.date, Mapping[str, Any]],
) -> tuple[Optional[str], Optional[dt.date], Optional[str]]:
    """(when, day, source) of the most recently written manifest entry."""

    def when(item: tuple[dt.date, Mapping[str, Any]]) -> float:
        entry = item[1]
        if isinstance(entry.get("ingested_at_epoch"), (int, float)):
            return float(entry["ingested_at_epoch"])
        text = utc_text(entry.get("ingested_at"))
        try:
            return (
                dt.datetime.strptime(text or "", "%Y-%m-%dT%H:%M:%SZ")
                .replace(tzinfo=dt.timezone.utc)
                .timestamp()
            )
        except ValueError:
            return 0.0

    if not entries:
        return None, None, None
    day, entry = max(entries.items(), key=when)
    return utc_text(entry.get("ingested_at")), day, entry.get("source")


def behind_days(
    lake: Mapping[dt.date, str],
    computed: Optional[Mapping[str, str]],
    as_of: Optional[dt.date],
    start: dt.date,
) -> list[dt.date]:
    """The days the next models run computes, as pipeline.models.planning decides them.

    Lake days (on or after ``models.start``) newer than the warehouse's `as_of` or whose
    fingerprint differs from the one the warehouse computed them from (`computed`: ISO day ->
    fingerprint; None = the warehouse computed nothing), and computed days the lake no longer
    has (up to the lake's last day).
    """
    lake = {d: fp for d, fp in lake.items() if d >= start}
    done = {dt.date.fromisoformat(d): fp for d, fp in (computed or {}).items()}
    done = {d: fp for d, fp in done.items() if d >= start}
    behind = {d for d, fp in lake.items() if as_of is None or d > as_of or done.get(d) != fp}
    last = max(lake, default=None)
    behind |= {d for d in done if d not in lake and last is not None and d <= last}
    return sorted(behind)


def publish_reasons(publish: PublishStatus, warehouse_as_of: Optional[dt.date]) -> list[str]:
    """Why the published tables need a person (empty: fine, disabled, or not readable)."""
    if not publish.enabled or publish.error is not None:
        return []
    reasons = []
    failure = publish.last_failure
    if failure is not None and publish.failed_since_success:
        as_of = f" (as of {failure.as_of})" if failure.as_of else ""
        reasons.append(f"the last publish failed at {failure.at}{as_of}: {failure.message}")
    if warehouse_as_of is None and not publish.tables:
        return reasons
    if publish.never_published:
        reasons.append(
            f"never published: {', '.join(publish.never_published)} ({publish.log_table} has no ok row)"
        )
    older: dict[Optional[dt.date], list[str]] = {}
    for t in publish.tables:
        if warehouse_as_of is not None and (t.as_of is None or t.as_of < warehouse_as_of):
            older.setdefault(t.as_of, []).append(t.table)
    for as_of, names in sorted(older.items(), key=lambda kv: kv[0] or dt.date.min):
        reasons.append(
            f"published as of {as_of}, older than the warehouse as of {warehouse_as_of}: {', '.join(names)} "
            "(run lakehouse publish)"
        )
    return reasons


def attention_reasons(
    lake: LakeStatus, source: SourceStatus, warehouse: WarehouseStatus, publish: PublishStatus
) -> list[str]:
    """Why a person must look (gaps and corrections alone are not reasons); see the module doc."""
    reasons = []
    if source.error is None and source.stale:
        reasons.append(source.stale)
    if lake.error is None and not lake.days:
        reasons.append(f"the lake at {lake.root} has no committed day")
    if warehouse.error is None and lake.error is None and warehouse.behind:
        if not warehouse.computed:
            what = "the warehouse has computed nothing yet (no marts)"
        else:
            what = f"the warehouse (as of {warehouse.as_of}) is behind the lake"
        n = len(warehouse.behind)
        reasons.append(
            f"{what}: {n} day{'s' if n != 1 else ''} to compute ({format_days(warehouse.behind, 3)}); "
            "the next lakehouse daily/models computes them"
        )
    reasons += publish_reasons(publish, warehouse.as_of if warehouse.error is None else None)
    return reasons


def unknown_reasons(status: Status) -> list[str]:
    """What could not be read (each makes the verdict `unknown`)."""
    reasons = []
    for name, error in (
        ("S3", status.s3.error),
        ("lake", status.lake.error),
        ("source", status.source.error),
        ("warehouse", status.warehouse.error),
        ("MySQL", status.mysql.error or status.publish.error),
    ):
        if error and error not in (S3_DOWN, MYSQL_DOWN):
            reasons.append(f"{name}: {error}")
    return list(dict.fromkeys(reasons))


# --------------------------------------------------------------------------- human output


def _ago(text: Optional[str], now: dt.datetime) -> str:
    """``2026-03-02 09:10 UTC (5 min ago)`` from a UTC ISO time."""
    if not text:
        return "never"
    try:
        t = dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return text
    secs = max(0, int((now - t).total_seconds()))
    if secs < 3600:
        age = f"{secs // 60} min"
    elif secs < 2 * 86400:
        age = f"{secs // 3600} h"
    else:
        age = f"{secs // 86400} days"
    return f"{t:%Y-%m-%d %H:%M} UTC ({age} ago)"


def _short_time(text: Optional[str]) -> str:
    """``2026-03-02 09:10 UTC`` from a UTC ISO time."""
    if not text:
        return "?"
    return text.replace("T", " ")[:16] + " UTC" if text.endswith("Z") else text


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def render_lines(s: Status) -> list[str]:
    """The one-screen report: aligned `label  text` lines, the reasons at the end."""
    now = dt.datetime.strptime(s.checked_at, "%Y-%m-%dT%H:%M:%SZ")
    rows: list[tuple[str, str]] = []
    lake = s.lake
    rows.append(("lake", lake.root))
    if lake.error:
        rows.append(("  coverage", f"not read: {lake.error}"))
    elif not lake.days:
        rows.append(("  coverage", "no committed day"))
    else:
        rows.append(("  coverage", f"{lake.first_day} .. {lake.last_day}, {_plural(len(lake.days), 'day')}"))
        gaps = f"{_plural(len(lake.gaps), 'day')}: {format_days(lake.gaps)}" if lake.gaps else "none"
        rows.append(("  gaps", gaps))
        if lake.corrected:
            recent = sorted(lake.corrected, key=lambda c: c.replaced_at or "", reverse=True)[:3]
            shown = ", ".join(
                f"{c.day} replaced {_short_time(c.replaced_at)}"
                + (f" ({c.corrections}x)" if c.corrections > 1 else "")
                for c in recent
            )
            more = f" (+{len(lake.corrected) - 3} earlier)" if len(lake.corrected) > 3 else ""
            rows.append(("  corrected", f"{_plural(len(lake.corrected), 'day')}: {shown}{more}"))
        else:
            rows.append(("  corrected", "none"))
        rows.append(("  ingest", f"last {_ago(lake.last_ingest_at, now)}, day {lake.last_ingest_day}"))
    src = s.source
    if src.error:
        rows.append(("source", f"{src.root}: not read: {src.error}"))
    else:
        limit = f"max_age_days {src.max_age_days}" if src.max_age_days is not None else "max_age_days not set"
        if src.newest_day is None:
            rows.append(("source", f"{src.root}: no dump matching {src.key_pattern!r} ({limit})"))
        else:
            rows.append(
                ("source", f"{src.root}: {_plural(src.dump_count, 'dump')}, newest {src.newest_day} "
                 f"({_plural(src.age_days or 0, 'day')} old; {limit})")
            )  # fmt: skip
        if src.problems:
            rows.append(
                ("", f"{_plural(len(src.problems), 'name')} the ingest rejects, e.g. {src.problems[0]}")
            )
    wh = s.warehouse
    if wh.error:
        rows.append(("warehouse", f"not read: {wh.error}"))
    elif not wh.computed:
        rows.append(("warehouse", "nothing computed yet (no marts manifest)"))
    else:
        computed = (
            f"computed {_plural(len(wh.computed_days), 'day')} "
            f"{min(wh.computed_days)} .. {max(wh.computed_days)}"
            if wh.computed_days
            else "no day recorded"
        )
        rows.append(("warehouse", f"as of {wh.as_of}, {computed}"))
        rows.append(("  written", f"{_ago(wh.written_at, now)}, session {wh.session}"))
    if not wh.error and not lake.error:
        behind = (
            f"{_plural(len(wh.behind), 'day')}: {format_days(wh.behind)}" if wh.behind else "no (up to date)"
        )
        rows.append(("  behind", behind))
    pub = s.publish
    if not pub.enabled:
        rows.append(("publish", "disabled (publish.enabled is false)"))
    elif pub.error:
        rows.append(("publish", f"{pub.log_table}: not read: {pub.error}"))
    else:
        rows.append(("publish", f"last success per table ({pub.log_table})"))
        width = max((len(name) for name in [t.table for t in pub.tables] + pub.never_published), default=0)
        for t in pub.tables:
            rows.append(
                ("", f"{t.table:<{width}}  {t.rows:>10,} rows  as of {t.as_of}  {_ago(t.published_at, now)}")
            )
        for name in pub.never_published:
            rows.append(("", f"{name:<{width}}  never published"))
        f = pub.last_failure
        if f is not None and pub.failed_since_success:
            message = f.message if len(f.message) <= 70 else f.message[:67] + "..."
            rows.append(("  failed", f"{_ago(f.at, now)}, as of {f.as_of}: {message}"))
        else:
            rows.append(("  failed", "no failure since the last success"))
    services = []
    for name, svc in (("S3", s.s3), ("MySQL", s.mysql)):
        if svc.used:
            where = svc.target or ""
            where = where if where.startswith(name) or where.startswith("AWS S3") else f"{name} {where}"
            services.append(f"{where} " + ("ok" if svc.ok else "NOT ANSWERING" if svc.ok is False else "?"))
    rows.append(
        ("services", ", ".join(services) if services else "none needed (local lake, publish disabled)")
    )
    width = max(len(label) for label, _ in rows)
    head = (
        f"lakehouse status at {now:%Y-%m-%d %H:%M} UTC (today {s.today} in {s.timezone}): {s.status.upper()}"
    )
    lines = [head] + [f"{label:<{width}}  {text}".rstrip() for label, text in rows]
    for reason in s.unknown:
        lines.append(f"[unknown] {reason}")
    for reason in s.attention:
        lines.append(f"[attention] {reason}")
    return lines


# --------------------------------------------------------------------------- collecting


def _why(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or exc.__class__.__name__
    return text if isinstance(exc, LakehouseError) else f"{exc.__class__.__name__}: {text}"


def short_timeouts(config: Config) -> Config:
    """`config` with the status call's short S3/MySQL timeouts (smaller configured values win)."""
    s3, mysql = config.s3, config.mysql
    return config.replace(
        s3=dataclasses.replace(
            s3,
            connect_timeout=min(s3.connect_timeout, S3_CONNECT_TIMEOUT),
            read_timeout=min(s3.read_timeout, S3_READ_TIMEOUT),
            max_attempts=min(s3.max_attempts, S3_MAX_ATTEMPTS),
        ),
        mysql=dataclasses.replace(
            mysql, connect_timeout=min(mysql.connect_timeout, MYSQL_CONNECT_TIMEOUT), retries=0
        ),
    )


def _read_lake(config: Config, status: LakeStatus) -> dict[dt.date, str]:
    """Fill `status` from the manifest; returns day -> fingerprint."""
    from lake.manifest import committed_days

    days = committed_days(config)
    entries = {d: ld.entry for d, ld in days.items()}
    status.days = sorted(days)
    status.gaps = gap_days(days)
    status.corrected = corrections(entries)
    status.last_ingest_at, status.last_ingest_day, status.last_ingest_source = last_ingest(entries)
    return {d: ld.fingerprint for d, ld in days.items()}


def _read_source(config: Config, status: SourceStatus, today: dt.date) -> None:
    from loaders.sources import find_sources
    from pipeline.daily import stale_input

    sources, problems = find_sources(config.source.root, config.source.key_pattern, config)
    status.dump_count = len(sources)
    status.problems = [message for _uri, message in problems]
    if sources:
        newest = max(sources, key=lambda s: s.day)
        status.newest_day, status.newest_uri = newest.day, newest.uri
        status.age_days = (today - newest.day).days
    status.stale = stale_input(config, [s.day for s in sources], today=today)


def _read_warehouse(config: Config, status: WarehouseStatus) -> Optional[Mapping[str, str]]:
    from lake.marts import read_marts

    marts = read_marts(config)
    if marts is None:
        return None
    status.computed = True
    status.as_of = marts.as_of
    status.written_at = utc_text(marts.written_at)
    status.session = marts.session
    status.computed_days = sorted(dt.date.fromisoformat(d) for d in marts.computed_from)
    return marts.computed_from


def _read_publish(config: Config, status: PublishStatus, mysql: ServiceStatus) -> None:
    from publish.connection import MySQLSession
    from publish.publog import read_latest

    session = MySQLSession(config)
    mysql.target = session.target.address
    try:
        conn = session.connection()
        mysql.ok = True
        with conn.cursor() as cur:
            ok, failed = read_latest(cur, config.mysql.log_database)
    finally:
        session.close()
    status.tables = [
        PublishedTable(r.table, r.rows_total, r.as_of, utc_text(r.published_at), r.run_id, r.strategy, r.id)
        for r in ok
    ]
    if failed is not None:
        status.last_failure = PublishFailure(
            utc_text(failed.published_at), failed.as_of, failed.run_id, failed.message or "", failed.id
        )


def collect_status(config: Config, today: Optional[dt.date] = None) -> Status:
    """Read everything `lakehouse status` reports (no lock, nothing written); see the module doc.

    `today`: the date in ``source.timezone`` ages count against (default: now there).
    """
    from lake.manifest import models_start
    from publish.tables import TARGETS

    config = short_timeouts(config)
    if today is None:
        from zoneinfo import ZoneInfo

        today = dt.datetime.now(ZoneInfo(config.source.timezone)).date()
    roots = [config.source.root, config.lake.root, config.warehouse.persist_uri or ""]
    s3 = ServiceStatus(used=any(is_s3(r) for r in roots), target=endpoint_name(config.s3))
    do_publish = config.publish.enabled
    mysql = ServiceStatus(used=do_publish, target=f"{config.mysql.host}:{config.mysql.port}")
    lake = LakeStatus(root=config.lake.root)
    source = SourceStatus(config.source.root, config.source.key_pattern, config.source.max_age_days)
    warehouse = WarehouseStatus()
    publish = PublishStatus(
        enabled=do_publish,
        log_table=f"{config.mysql.log_database}.publish_log",
        expected=[f"{config.mysql.databases.get(t.schema, t.schema)}.{t.name}" for t in TARGETS],
    )

    if s3.used:
        from pipeline.preflight import check_services

        try:
            check_services(config, mysql=False)
            s3.ok = True
        except Exception as exc:
            s3.ok, s3.error = False, _why(exc)

    lake_fps: dict[dt.date, str] = {}
    if s3.ok is False and is_s3(config.lake.root):
        lake.error = S3_DOWN
    else:
        try:
            lake_fps = _read_lake(config, lake)
        except Exception as exc:
            lake.error = _why(exc)

    if s3.ok is False and is_s3(config.source.root):
        source.error = S3_DOWN
    else:
        try:
            _read_source(config, source, today)
        except Exception as exc:
            source.error = _why(exc)

    if lake.error is not None:
        warehouse.error = lake.error if lake.error == S3_DOWN else None
    if warehouse.error is None:
        try:
            computed = _read_warehouse(config, warehouse)
            if lake.error is None:
                start = models_start(config, lake_fps)
                warehouse.behind = behind_days(lake_fps, computed, warehouse.as_of, start)
        except Exception as exc:
            warehouse.error = _why(exc)

    if do_publish:
        try:
            _read_publish(config, publish, mysql)
        except Exception as exc:
            if mysql.ok is None:
                mysql.ok, mysql.error = False, _why(exc)
            else:
                publish.error = _why(exc)

    status = Status(
        checked_at=utc_text(dt.datetime.now(dt.timezone.utc)) or "",
        today=today,
        timezone=config.source.timezone,
        lake=lake,
        source=source,
        warehouse=warehouse,
        publish=publish,
        s3=s3,
        mysql=mysql,
    )
    if mysql.error and publish.error is None:
        publish.error = MYSQL_DOWN
    status.attention = attention_reasons(lake, source, warehouse, publish)
    status.unknown = unknown_reasons(status)
    return status
