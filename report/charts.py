"""The report's charts: matplotlib figures rendered to SVG text at build time.

Why this shape:

* SVG inlined in the page needs nothing at view time (no script, no network, no image file) and
  stays sharp at any zoom; matplotlib draws it without a display (an Agg canvas, no pyplot, so
  no global backend or figure state is touched in the caller's process);
* the same data gives the same bytes (``svg.hashsalt`` fixes the ids matplotlib would draw at
  random, the metadata block with its date is dropped), so two reports differ only where the
  data or the header's time does;
* every id of a chart gets the chart's prefix: six SVGs in one HTML document share one id space;
  the namespace declarations go (the HTML parser knows SVG's), so the page holds no URL at all;
* text drawn in the SVG is English only (the DejaVu font matplotlib ships has no Japanese
  glyphs): series whose names come from the data (status stages, areas) get their legend as
  HTML next to the chart (:attr:`Chart.legend`), where the browser renders any script.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Optional

from report.data import ReportData

#: matplotlib settings of every chart (applied in an rc_context, never globally)
STYLE = {
    "svg.hashsalt": "lakehouse-report",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.titlesize": 10,
    "legend.frameon": False,
    "legend.fontsize": 8,
}

ACTUAL = "#1f77b4"
PROJECTED = "#ff7f0e"
MOVE_IN = "#2ca02c"
MOVE_OUT = "#d62728"
AS_OF = "#555555"
#: colours of data-named series (stages, areas), in order
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
    "#aec7e8",
    "#ffbb78",
    "#98df8a",
    "#ff9896",
    "#c5b0d5",
    "#c49c94",
    "#f7b6d2",
    "#c7c7c7",
    "#dbdb8d",
    "#9edae5",
)

WIDTH, HEIGHT = 10.0, 3.4


@dataclass
class Chart:
    """One chart of the page: its SVG and the HTML legend of its data-named series."""

    key: str
    title: str
    svg: str
    caption: str = ""
    #: (colour, label) pairs shown as HTML below the chart (labels may be any script)
    legend: list[tuple[str, str]] = field(default_factory=list)


def colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


@contextmanager
def _figure(height: float = HEIGHT) -> Iterator[Any]:
    """A figure on an Agg canvas, in the report's style."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with rc_context(STYLE):
        fig = Figure(figsize=(WIDTH, height), layout="constrained")
        FigureCanvasAgg(fig)
        yield fig


_ID = re.compile(r'\bid="([^"]+)"')


def to_svg(fig: Any, prefix: str, title: str) -> str:
    """The figure as an inline ``<svg>`` element: no XML prolog, no metadata, prefixed ids."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.S)
    text = re.sub(r'\s*<style type="text/css">.*?</style>', "", text, flags=re.S)  # in the page's CSS
    # inline in HTML, the parser knows the SVG and XLink namespaces: no namespace URIs needed
    text = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", text)
    ids = set(_ID.findall(text))
    text = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', text)
    text = re.sub(
        r'(href="#|url\(#)([^")]+)',
        lambda m: f"{m.group(1)}{prefix}-{m.group(2)}" if m.group(2) in ids else m.group(0),
        text,
    )
    from html import escape

    return text.replace(
        "<svg ", f'<svg role="img" aria-label="{escape(title)}" class="chart" data-chart="{prefix}" ', 1
    ).strip()


def _floats(values: Sequence[Any]) -> list[float]:
    return [float("nan") if v is None else float(v) for v in values]


def _date_axis(ax: Any) -> None:
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    locator = AutoDateLocator(minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))


def _mark_as_of(ax: Any, as_of: dt.date, last: Optional[dt.date]) -> None:
    """T as a vertical line with its label; the projected days (after T) lightly shaded."""
    if last is not None and last > as_of:
        ax.axvspan(as_of, last, color=PROJECTED, alpha=0.06, linewidth=0)
    ax.axvline(as_of, color=AS_OF, linestyle=":", linewidth=1.2)
    ax.annotate(
        f"as of {as_of.isoformat()}",
        xy=(as_of, 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(4, -2),
        textcoords="offset points",
        ha="left",
        va="top",
        fontsize=8,
        color=AS_OF,
        bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1},
    )


def _legend(fig: Any) -> None:
    """The legend in one row above the axes (outside them: every chart keeps the same plot width)."""
    handles, labels = fig.axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside upper right", ncols=max(1, len(labels)))


def _integer_axis(ax: Any) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))


def _last_day(data: ReportData) -> Optional[dt.date]:
    days = data.metrics.column("snapshot_date")
    return max(days) if days else None


def occupancy_chart(data: ReportData) -> Chart:
    """Occupancy rate: actual days, then the projection from T (joined at T)."""
    from matplotlib.ticker import PercentFormatter

    actual, projection = data.actual, data.projection
    with _figure() as fig:
        ax = fig.add_subplot()
        ax.plot(
            actual.column("snapshot_date"),
            _floats(actual.column("occupancy_rate")),
            color=ACTUAL,
            marker="." if len(actual) <= 60 else None,
            label="actual",
        )
        if len(projection):
            days = [data.as_of, *projection.column("snapshot_date")]
            rates = [data.latest_actual["occupancy_rate"], *projection.column("occupancy_rate")]
            ax.plot(days, _floats(rates), color=PROJECTED, linestyle="--", label="projection")
        _mark_as_of(ax, data.as_of, _last_day(data))
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_ylabel("occupancy rate")
        _date_axis(ax)
        _legend(fig)
        title = "Occupancy rate (period_end_rooms / total_rooms)"
        return Chart("occupancy", title, to_svg(fig, "occupancy", title))


def flows_chart(data: ReportData) -> Chart:
    """Move-ins up, move-outs down, per day; projected days lighter."""
    with _figure() as fig:
        ax = fig.add_subplot()
        for rows, alpha, suffix in ((data.actual, 0.9, ""), (data.projection, 0.45, " (projected)")):
            if not len(rows):
                continue
            days = rows.column("snapshot_date")
            ax.bar(days, _floats(rows.column("new_moveins")), width=0.8, color=MOVE_IN, alpha=alpha,
                   label="move-ins" + suffix)  # fmt: skip
            outs = [-v for v in _floats(rows.column("new_moveouts"))]
            ax.bar(days, outs, width=0.8, color=MOVE_OUT, alpha=alpha, label="move-outs" + suffix)
        ax.axhline(0, color="#333333", linewidth=0.6)
        _mark_as_of(ax, data.as_of, _last_day(data))
        ax.set_ylabel("tenants per day")
        _integer_axis(ax)
        ax.yaxis.set_major_formatter(_abs_formatter())
        _date_axis(ax)
        _legend(fig)
        title = "Move-ins and move-outs per day (new_moveins up, new_moveouts down)"
        return Chart("flows", title, to_svg(fig, "flows", title))


def _abs_formatter() -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: f"{abs(v):g}")


def rooms_chart(data: ReportData) -> Chart:
    """Rooms available (total_rooms) and occupied at the end of each day (period_end_rooms)."""
    actual, projection = data.actual, data.projection
    with _figure() as fig:
        ax = fig.add_subplot()
        series = ((actual, "-", "", False), (projection, "--", " (projected)", True))
        for rows, style, suffix, joined in series:
            if not len(rows):
                continue
            days = rows.column("snapshot_date")
            total, end = _floats(rows.column("total_rooms")), _floats(rows.column("period_end_rooms"))
            if joined:
                last = data.latest_actual
                days = [data.as_of, *days]
                total = [float(last["total_rooms"]), *total]
                end = [float(last["period_end_rooms"]), *end]
            ax.step(days, total, where="mid", color="#7f7f7f", linestyle=style, label="total_rooms" + suffix)
            ax.plot(days, end, color=ACTUAL if not joined else PROJECTED, linestyle=style,
                    label="period_end_rooms" + suffix)  # fmt: skip
        _mark_as_of(ax, data.as_of, _last_day(data))
        ax.set_ylabel("rooms")
        ax.set_ylim(bottom=0)
        _integer_axis(ax)
        _date_axis(ax)
        _legend(fig)
        title = "Rooms: active rooms (total_rooms) and occupied rooms (period_end_rooms)"
        return Chart("rooms", title, to_svg(fig, "rooms", title))


def status_mix_chart(data: ReportData) -> Chart:
    """Tenants per stage per snapshot day, stacked; the legend is HTML (labels from the seed)."""
    mix = data.status_mix
    days = sorted(set(mix.column("snapshot_date")))
    index = {d: i for i, d in enumerate(days)}
    legend = []
    with _figure() as fig:
        ax = fig.add_subplot()
        bottom = [0.0] * len(days)
        for i, category in enumerate(data.status_categories):
            counts = [0.0] * len(days)
            for day, cat, n in mix.rows:
                if cat == category:
                    counts[index[day]] = float(n)
            ax.bar(days, counts, bottom=bottom, width=0.9, color=colour(i), linewidth=0)
            bottom = [b + c for b, c in zip(bottom, counts)]
            legend.append((colour(i), category))
        _mark_as_of(ax, data.as_of, None)
        ax.set_ylabel("tenants")
        _integer_axis(ax)
        _date_axis(ax)
        by = "status stage" if data.status_mix_by == "stage" else "status"
        title = f"Tenants per {by} per snapshot day (silver.tenant_daily_snapshots)"
        caption = ""
        if data.status_mix_by != "stage":
            caption = "The status_codes seed has no stage column: one colour per status (label_en)."
        return Chart("status-mix", title, to_svg(fig, "status-mix", title), caption, legend)


def area_chart(data: ReportData) -> Optional[Chart]:
    """Occupancy rate per area (the areas with the most rooms on T), projections dashed."""
    from matplotlib.ticker import PercentFormatter

    if data.by_area is None or not data.areas:
        return None
    legend = []
    with _figure(height=HEIGHT + 0.6) as fig:
        ax = fig.add_subplot()
        for i, area in enumerate(data.areas):
            rows = data.by_area.where("area", area)
            actual = rows.where("is_projection", False)
            projected = rows.where("is_projection", True)
            ax.plot(actual.column("snapshot_date"), _floats(actual.column("occupancy_rate")), color=colour(i))
            if len(projected):
                days, rates = projected.column("snapshot_date"), projected.column("occupancy_rate")
                at_t = actual.where("snapshot_date", data.as_of)
                if len(at_t):
                    days, rates = [data.as_of, *days], [at_t.column("occupancy_rate")[0], *rates]
                ax.plot(days, _floats(rates), color=colour(i), linestyle="--")
            legend.append((colour(i), area))
        _mark_as_of(ax, data.as_of, _last_day(data))
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_ylabel("occupancy rate")
        _date_axis(ax)
        title = "Occupancy rate by area (gold.occupancy_daily_metrics_by_area)"
        summary = data.area_summary
        caption = "Solid: actual; dashed: projection."
        if summary is not None and len(summary) > len(data.areas):
            caption += f" The {len(data.areas)} areas with the most rooms on {data.as_of}; the table has all."
        return Chart("by-area", title, to_svg(fig, "by-area", title), caption, legend)


def accuracy_chart(data: ReportData) -> Optional[Chart]:
    """Projection error in rooms per horizon: mean error (bias) and mean absolute error."""
    if data.accuracy is None or not len(data.accuracy):
        return None
    acc = data.accuracy
    with _figure() as fig:
        ax = fig.add_subplot()
        horizons = _floats(acc.column("horizon_days"))
        ax.bar(horizons, _floats(acc.column("mean_error_rooms")), width=0.8, color=ACTUAL, alpha=0.7,
               label="mean error (projected - actual)")  # fmt: skip
        ax.plot(horizons, _floats(acc.column("mean_abs_error_rooms")), color=MOVE_OUT, marker=".",
                label="mean absolute error")  # fmt: skip
        ax.axhline(0, color="#333333", linewidth=0.6)
        ax.set_xlabel("horizon (days after the projection's as-of day)")
        ax.set_ylabel("rooms")
        _legend(fig)
        title = "Projection accuracy: error_rooms per horizon (gold.occupancy_projection_accuracy)"
        return Chart("accuracy", title, to_svg(fig, "accuracy", title))


def all_charts(data: ReportData) -> list[Chart]:
    """The page's charts in order; the optional ones only when their table is in the marts."""
    charts = [occupancy_chart(data), flows_chart(data), rooms_chart(data), status_mix_chart(data)]
    charts += [c for c in (area_chart(data), accuracy_chart(data)) if c is not None]
    return charts
