"""`lakehouse report`: one self-contained HTML page of the occupancy KPIs, for operators.

The page is built from the analysts' read path (:func:`lake.analysts.open_session`: the marts the
latest models run exported to the lake), never from the warehouse file, so building it neither
blocks the daily job nor waits for it. It has no script and fetches nothing when viewed: the
charts are SVG drawn by matplotlib at build time and inlined, the CSS is inline too, so the file
can be mailed, attached to a ticket or opened from S3 offline.

* ``data`` -- the queries, as plain Python values (:class:`report.data.ReportData`);
* ``charts`` -- matplotlib figures -> deterministic SVG strings;
* ``html`` -- the page around them (escaped text, inline CSS).

The job that writes the file is :func:`pipeline.report.report_job`.
"""

from __future__ import annotations

from report.data import ReportData, load_report_data
from report.html import render_report

__all__ = ["ReportData", "load_report_data", "render_report"]
