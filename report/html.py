"""The report page: one HTML file with its CSS and its charts inline, and no script.

Why: the file is the whole report (mailed, attached, opened from a bucket or a laptop offline).
A Content-Security-Policy in the page forbids every fetch (``default-src 'none'``), so a
browser opening it makes no request at all: what is not inline cannot sneak in. Every text
from the data (areas, stage names, the lake root) is HTML-escaped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from html import escape
from typing import Any, Optional

from report.charts import Chart, all_charts
from report.data import ReportData

#: what a viewing browser may load: nothing but the inline styles (and the empty data: icon)
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

CSS = """
:root { color-scheme: light; --muted: #5f6368; --line: #dadce0; --accent: #1f77b4; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans",
       "Noto Sans CJK JP", "Hiragino Sans", Meiryo, sans-serif; color: #202124; background: #fff; }
header, main, footer { max-width: 1100px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 20px; border-bottom: 1px solid var(--line); }
h1 { font-size: 22px; margin: 0 0 12px; }
h2 { font-size: 17px; margin: 28px 0 8px; }
.facts { display: flex; flex-wrap: wrap; gap: 10px 36px; margin: 0 0 16px; }
.facts div { min-width: 140px; }
.facts dt { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.facts dd { margin: 2px 0 0; font-size: 17px; font-weight: 600; word-break: break-all; }
.facts dd.big { font-size: 26px; color: var(--accent); }
figure { margin: 0; }
svg.chart { display: block; width: 100%; height: auto; }
svg.chart * { stroke-linejoin: round; stroke-linecap: butt; }
figcaption { color: var(--muted); font-size: 13px; }
.legend { list-style: none; padding: 0; margin: 6px 0; display: flex; flex-wrap: wrap; gap: 4px 18px;
          font-size: 13px; }
.legend li { display: flex; align-items: center; gap: 6px; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; }
table { border-collapse: collapse; font-size: 13px; font-variant-numeric: tabular-nums; margin: 4px 0; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
th { color: var(--muted); font-weight: 600; white-space: normal; vertical-align: bottom; }
th:first-child, td:first-child { text-align: left; }
.scroll { overflow-x: auto; }
footer { margin-top: 32px; padding-bottom: 24px; border-top: 1px solid var(--line); color: var(--muted);
         font-size: 13px; }
"""

LAST_DAYS_COLUMNS = (
    "snapshot_date",
    "applications",
    "new_moveins",
    "new_moveouts",
    "occupancy_delta",
    "period_start_rooms",
    "period_end_rooms",
    "total_rooms",
    "occupancy_rate",
)

#: the horizons listed in the accuracy table (the chart has them all)
ACCURACY_HORIZONS = (1, 7, 14, 30, 60, 90)


def rate(value: Optional[float]) -> str:
    """An occupancy rate as the table stores it (4 decimals), e.g. 0.5000."""
    return "n/a" if value is None else f"{value:.4f}"


def percent(value: Optional[float]) -> str:
    return "n/a" if value is None else f"{value * 100:.1f} %"


def _cell(value: Any, column: str = "") -> str:
    if value is None:
        return ""
    if column.endswith("rate") or column.startswith("rate"):
        return rate(value)
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def table(
    columns: Sequence[str], rows: Iterable[Sequence[Any]], headers: Optional[Sequence[str]] = None
) -> str:
    # a column name may break after its underscores: the table fits a laptop screen
    head = "".join(f"<th>{escape(h).replace('_', '_<wbr>')}</th>" for h in (headers or columns))
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(_cell(v, c))}</td>" for c, v in zip(columns, row)) + "</tr>"
        for row in rows
    )
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def figure(chart: Chart) -> str:
    parts = [f'<figure id="chart-{escape(chart.key)}">', chart.svg]
    if chart.legend:
        items = "".join(
            f'<li><span class="swatch" style="background:{escape(c)}"></span>{escape(label)}</li>'
            for c, label in chart.legend
        )
        parts.append(f'<ul class="legend">{items}</ul>')
    if chart.caption:
        parts.append(f"<figcaption>{escape(chart.caption)}</figcaption>")
    parts.append("</figure>")
    return "".join(parts)


def _section(key: str, title: str, *body: str) -> str:
    return f'<section id="{escape(key)}"><h2>{escape(title)}</h2>{"".join(body)}</section>'


def _header(data: ReportData) -> str:
    latest = data.latest_actual
    facts = [
        ("As of", f'<dd id="as-of">{escape(data.as_of.isoformat())}</dd>'),
        (
            "Occupancy rate on the as-of day",
            f'<dd class="big" id="latest-rate">{escape(rate(latest["occupancy_rate"]))}'
            f" <small>({escape(percent(latest['occupancy_rate']))})</small></dd>",
        ),
        (
            "Occupied / active rooms",
            f"<dd>{escape(str(latest['period_end_rooms']))} / {escape(str(latest['total_rooms']))}</dd>",
        ),
        ("Lake", f'<dd id="lake-root">{escape(data.lake_root)}</dd>'),
        ("Generated", f'<dd id="generated-at">{escape(data.generated_at.isoformat())}</dd>'),
    ]
    items = "".join(f"<div><dt>{escape(name)}</dt>{dd}</div>" for name, dd in facts)
    return f'<header><h1>Occupancy report</h1><dl class="facts">{items}</dl></header>'


def _area_table(data: ReportData) -> str:
    summary = data.area_summary
    if summary is None:
        return ""
    headers = ("area", f"total_rooms on {data.as_of}", f"rate on {data.as_of}", "rate at projection end")
    return table(summary.columns, summary.rows, headers)


def _accuracy_table(data: ReportData) -> str:
    acc = data.accuracy
    if acc is None:
        return ""
    horizons = set(ACCURACY_HORIZONS) | {max(acc.column("horizon_days"), default=0)}
    rows = [r for r in acc.rows if r[0] in horizons]
    headers = ("horizon (days)", "days compared", "mean error (rooms)", "mean absolute error (rooms)")
    return table(acc.columns, rows, headers)


def render_report(data: ReportData) -> str:
    """The whole page as one string."""
    charts = {c.key: c for c in all_charts(data)}
    last = data.last_actual_days(7)
    sections = [
        _section("occupancy", "Occupancy rate", figure(charts["occupancy"])),
        _section(
            "last-days",
            f"Last {len(last)} actual days",
            table(LAST_DAYS_COLUMNS, [[d[c] for c in LAST_DAYS_COLUMNS] for d in last]),
        ),
        _section("flows", "Move-ins and move-outs", figure(charts["flows"])),
        _section("rooms", "Rooms", figure(charts["rooms"])),
        _section("status-mix", "Status mix", figure(charts["status-mix"])),
    ]
    if "by-area" in charts:
        area = figure(charts["by-area"]), _area_table(data)
        sections.append(_section("by-area", "Occupancy by area", *area))
    elif data.by_area is not None:
        sections.append(_section("by-area", "Occupancy by area", "<p>No area has a row yet.</p>"))
    if "accuracy" in charts:
        sections.append(
            _section("accuracy", "Projection accuracy", figure(charts["accuracy"]), _accuracy_table(data))
        )
    elif data.accuracy is not None:
        empty = "<p>No projected day has its actual row yet (the first comes the day after the first T).</p>"
        sections.append(_section("accuracy", "Projection accuracy", empty))
    notes = "".join(f"<p>{escape(n)}</p>" for n in data.notes)
    projected = len(data.projection)
    footer = (
        f"<footer><p>Built by <code>lakehouse report</code> from the marts of the lake (the tables the "
        f"latest models run exported). Actual days up to {escape(data.as_of.isoformat())}, then "
        f"{projected} projected day(s) (is_projection). This file needs no network and runs no script.</p>"
        f"{notes}</footer>"
    )
    title = f"Occupancy report as of {data.as_of.isoformat()}"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{escape(CSP)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head>\n"
        f"<body>{_header(data)}\n<main>{''.join(sections)}</main>\n{footer}</body></html>\n"
    )
