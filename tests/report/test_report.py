"""`lakehouse report`: one self-contained HTML page, checked as text and in a real headless browser.

The lake is tests/sqlmesh_project/small_lake.py (values worked out by hand from SPEC §4), built by
the real `lakehouse models` (which exports the marts the report reads); the report is written by
the real `lakehouse report`. The browser test opens it in Debian's Chromium through selenium: it
must load with no request, no console error and charts of non-zero size. It fails (never skips)
when Chromium is missing: CI must run it (`make setup` and .ci/run install it).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Optional

import pytest

from lake.analysts import open_session
from lake.marts import MART_TABLES
from report.data import collect, load_report_data
from report.html import render_report
from tests.conftest import _base_config
from tests.sqlmesh_project import small_lake as lake
from tests.sqlmesh_project.conftest import Project, make_project

REPO = Path(__file__).resolve().parent.parent.parent
ARTIFACTS = REPO / "var" / "test-artifacts"
AS_OF = "2024-05-04"
CHARTS = ("occupancy", "flows", "rooms", "status-mix")
BY_AREA, ACCURACY = "gold.occupancy_daily_metrics_by_area", "gold.occupancy_projection_accuracy"
#: the optional §4b sections appear when the marts export their tables
EXPORTED_CHARTS = (*CHARTS, *(["by-area"] if BY_AREA in MART_TABLES else []),
                   *(["accuracy"] if ACCURACY in MART_TABLES else []))  # fmt: skip
CHROME_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
)
APT_HINT = "apt-get install chromium chromium-driver (make setup does it)"


def lakehouse(
    project: Project, *args: str, code: int = 0, cwd: Optional[str] = None
) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "--config", str(project.config_file), *args],
        env={**project.env(), "PYTHONPATH": str(REPO)}, cwd=cwd, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == code, f"exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def seed_has_stage() -> bool:
    header = (REPO / "sqlmesh_project" / "seeds" / "status_codes.csv").read_text(encoding="utf-8")
    return "stage" in header.splitlines()[0].split(",")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The small lake after `lakehouse models` (T = 2024-05-04, forward_days 10)."""
    tmp = tmp_path_factory.mktemp("report")
    project = make_project(_base_config(tmp), tmp)
    lake.write_initial(project.config)
    assert f"marts as of {AS_OF}" in lakehouse(project, "models").stdout
    return project


@pytest.fixture(scope="module")
def report_file(built: Project) -> Path:
    out = built.config_file.parent / "out" / "nested" / "report.html"  # parent folders are created
    proc = lakehouse(built, "report", "--out", str(out))
    assert proc.stdout.strip() == f"report: {out} ({out.stat().st_size:,} bytes, as of {AS_OF})"
    return out


def test_the_report_is_one_file_needing_nothing_else(report_file: Path) -> None:
    text = report_file.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    # nothing to fetch: no script, no stylesheet/image/frame by URL, not even a namespace URL
    assert not re.search(r"<\s*(script|iframe|object|embed|img|link\s+rel=.?stylesheet)", text, re.I)
    assert not re.search(r"https?://", text, re.I)
    assert not re.search(r"\b(src|href)\s*=\s*[\"']?\s*(https?:)?//", text, re.I)
    assert not re.search(r"url\(\s*[\"']?(?!#)", text), "a CSS/SVG url() other than a fragment"
    assert "@import" not in text
    assert re.findall(r'<link [^>]*href="([^"]*)"', text) == ["data:,"]  # the empty icon (no favicon fetch)
    assert "default-src 'none'" in text.replace("&#x27;", "'")  # the page forbids itself any request
    # one inline <svg> per chart, ids prefixed per chart (one id space for the page)
    assert re.findall(r'<svg [^>]*data-chart="([^"]+)"', text) == list(EXPORTED_CHARTS)
    ids = re.findall(r'\bid="([^"]+)"', text)
    assert len(ids) == len(set(ids)), "duplicate ids"
    # deterministic SVG: no metadata block (its date), no random ids
    assert "<metadata>" not in text and "<dc:date>" not in text


def test_the_header_and_the_table_show_the_hand_worked_values(report_file: Path) -> None:
    text = report_file.read_text(encoding="utf-8")
    assert f'<dd id="as-of">{AS_OF}</dd>' in text
    assert f"<title>Occupancy report as of {AS_OF}</title>" in text
    latest = lake.ACTUALS_INITIAL[AS_OF][7]  # "0.5000": 2 occupied / 4 active rooms on T
    assert re.search(
        rf'<dd class="big" id="latest-rate">{re.escape(latest)} <small>\(50\.0 %\)</small>', text
    )
    assert '<dd id="lake-root">' in text and '<dd id="generated-at">' in text
    # the last actual days (only 3 exist): every value as worked out by hand, dates ascending
    table = text[text.index('<section id="last-days">') :]
    table = table[: table.index("</section>")]
    assert "<h2>Last 3 actual days</h2>" in table
    rows = re.findall(r"<tr>(<td>.*?)</tr>", table)
    assert [re.findall(r"<td>(.*?)</td>", r) for r in rows] == [
        [day, *(str(v) for v in values)] for day, values in lake.ACTUALS_INITIAL.items()
    ]
    # the optional §4b sections only when the marts have those tables
    assert ('id="by-area"' in text) == (BY_AREA in MART_TABLES)
    assert ('id="accuracy"' in text) == (ACCURACY in MART_TABLES)
    if BY_AREA in MART_TABLES:  # the small lake has no apartments rows: all of it is area (unknown)
        area = text[text.index('<section id="by-area">') :]
        assert "<td>(unknown)</td><td>4</td><td>0.5000</td><td>0.7500</td>" in area  # T, T+10 (3/4)


def test_the_data_layer_counts_tenants_per_stage_by_hand(built: Project) -> None:
    data = load_report_data(built.config)
    assert data.as_of == dt.date(2024, 5, 4)
    assert len(data.actual) == 3 and len(data.projection) == 10
    assert data.latest_actual["occupancy_rate"] == 0.5
    d1, d2, d4 = dt.date(2024, 5, 1), dt.date(2024, 5, 2), dt.date(2024, 5, 4)
    if seed_has_stage():  # SPEC appendix A: 1 lead, 2 application, 4/5 scheduled, 6/9 residing, 12 closed
        assert data.status_mix_by == "stage"
        assert data.status_categories == ["lead", "application", "scheduled", "residing", "closed"]
        expected = [
            (d1, "lead", 1), (d1, "scheduled", 1), (d1, "residing", 2), (d1, "closed", 1),
            (d2, "application", 1), (d2, "residing", 3), (d2, "closed", 1),
            (d4, "scheduled", 1), (d4, "residing", 3),
        ]  # fmt: skip
    else:  # no stage column in the seed: one category per status, English label, in code order
        assert data.status_mix_by == "status"
        assert data.status_categories == [
            "inquiry", "application", "contracting", "move-in scheduled", "residing", "notice given",
            "application withdrawn",
        ]  # fmt: skip
        expected = [
            (d1, "inquiry", 1), (d1, "move-in scheduled", 1), (d1, "residing", 1), (d1, "notice given", 1),
            (d1, "application withdrawn", 1),
            (d2, "application", 1), (d2, "residing", 2), (d2, "notice given", 1),
            (d2, "application withdrawn", 1),
            (d4, "contracting", 1), (d4, "residing", 2), (d4, "notice given", 1),
        ]  # fmt: skip
    assert data.status_mix.rows == expected


def test_the_same_data_gives_the_same_page(built: Project) -> None:
    at = dt.datetime(2024, 5, 5, 7, 0, tzinfo=dt.timezone.utc)
    first = render_report(load_report_data(built.config, generated_at=at))
    assert render_report(load_report_data(built.config, generated_at=at)) == first
    assert "2024-05-05T07:00:00+00:00" in first


def test_the_area_and_accuracy_sections_appear_when_their_tables_exist(built: Project) -> None:
    """Stand-ins for the §4b marts (views in the session): both sections, escaped Japanese names."""
    con = open_session(built.config)
    try:
        con.execute(
            "CREATE OR REPLACE VIEW gold.occupancy_daily_metrics_by_area AS "
            "SELECT snapshot_date, a.area, * EXCLUDE (snapshot_date) FROM gold.occupancy_daily_metrics, "
            "(VALUES ('世田谷区'), ('<b>north</b>'), (NULL)) AS a(area)"
        )
        con.execute(
            "CREATE OR REPLACE VIEW gold.occupancy_projection_accuracy AS SELECT * FROM (VALUES "
            "(DATE '2024-05-01', DATE '2024-05-02', 1, 3, 2, 1), "
            "(DATE '2024-05-02', DATE '2024-05-03', 1, 1, 2, -1), "
            "(DATE '2024-05-01', DATE '2024-05-03', 2, 4, 2, 2)) AS t(as_of_snapshot_date, snapshot_date, "
            "horizon_days, projected_period_end_rooms, actual_period_end_rooms, error_rooms)"
        )
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no missing-glyph warning: data-named labels stay out of the SVG
            data = collect(con, built.config.lake.root)
            page = render_report(data)
    finally:
        con.close()
    assert re.findall(r'<svg [^>]*data-chart="([^"]+)"', page) == [*CHARTS, "by-area", "accuracy"]
    assert data.areas == ["(unknown)", "<b>north</b>", "世田谷区"]  # equal rooms: by name
    area = page[page.index('<section id="by-area">') :]
    assert "世田谷区</li>" in area and "&lt;b&gt;north&lt;/b&gt;</li>" in area and "<b>north" not in page
    assert "<td>世田谷区</td><td>4</td><td>0.5000</td><td>0.7500</td>" in area  # T, then T+10
    # mean error and mean absolute error of error_rooms per horizon: h1 (1, -1), h2 (2)
    assert data.accuracy is not None and data.accuracy.rows == [(1, 2, 0.0, 1.0), (2, 1, 2.0, 2.0)]
    accuracy = page[page.index('<section id="accuracy">') :]
    assert "<td>1</td><td>2</td><td>0.00</td><td>1.00</td>" in accuracy
    assert "<td>2</td><td>1</td><td>2.00</td><td>2.00</td>" in accuracy


def test_an_optional_table_without_its_columns_is_left_out_with_a_note(built: Project) -> None:
    con = open_session(built.config)
    try:
        con.execute("CREATE OR REPLACE VIEW gold.occupancy_projection_accuracy AS SELECT 1 AS horizon_days")
        page = render_report(collect(con, built.config.lake.root))
    finally:
        con.close()
    assert 'id="accuracy"' not in page
    assert "gold.occupancy_projection_accuracy is left out: it has no column error_rooms" in page


def test_an_optional_table_without_rows_gets_its_section_without_a_chart(built: Project) -> None:
    con = open_session(built.config)
    try:
        con.execute(
            "CREATE OR REPLACE VIEW gold.occupancy_projection_accuracy AS "
            "SELECT 1 AS horizon_days, 0 AS error_rooms WHERE false"
        )
        page = render_report(collect(con, built.config.lake.root))
    finally:
        con.close()
    assert "<p>No projected day has its actual row yet" in page
    assert 'data-chart="accuracy"' not in page


def test_without_marts_the_report_says_to_run_lakehouse_models(tmp_path: Path) -> None:
    project = make_project(_base_config(tmp_path), tmp_path)
    lake.write_initial(project.config)  # a lake, but no models run yet
    out = tmp_path / "report.html"
    proc = lakehouse(project, "report", "--out", str(out), code=2)
    assert "run `lakehouse models`" in proc.stderr, proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("lakehouse report: error: ")
    assert not out.exists()


def test_the_report_can_go_to_s3(built: Project, s3_config) -> None:  # type: ignore[no-untyped-def]
    from lake.storage import storage_for
    from pipeline.report import report_job

    config = built.config.replace(s3=s3_config.s3)  # the local lake, the test S3 server for the page
    uri = s3_config.lake.root + "/reports/occupancy.html"
    result = report_job(config, uri)
    assert result.summary() == f"report: {uri} ({result.bytes:,} bytes, as of {AS_OF})"
    page = storage_for(uri, config).read_bytes(uri)
    assert len(page) == result.bytes and b'<dd id="as-of">2024-05-04</dd>' in page


def test_report_help_has_an_example() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "report", "--help"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0
    assert "--out FILE" in proc.stdout and "lakehouse report --out" in proc.stdout


def test_demo_writes_the_report_next_to_its_outputs(tmp_path: Path) -> None:
    base = _base_config(tmp_path)
    var = tmp_path / "var"
    base = base.replace(
        source=dataclasses.replace(base.source, root=str(var / "dumps")),
        lake=dataclasses.replace(base.lake, root=str(var / "lake")),
        warehouse=dataclasses.replace(base.warehouse, path=str(var / "warehouse.duckdb")),
        publish=dataclasses.replace(base.publish, enabled=False),
    )
    project = make_project(base, tmp_path, start=dt.date(2026, 1, 1))
    proc = lakehouse(project, "demo", "--days", "3", cwd=str(tmp_path))
    assert proc.stdout.strip().splitlines()[-1] == "report: var/report.html (open it in a browser)"
    text = (var / "report.html").read_text(encoding="utf-8")
    assert '<dd id="as-of">2026-01-03</dd>' in text


# --- in a real browser -----------------------------------------------------------------------


def _chrome(profile: Path):  # type: ignore[no-untyped-def]
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    driver = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    missing = [p for p in (chromium, driver) if not os.access(p, os.X_OK)]
    if missing:
        pytest.fail(f"headless Chromium is needed for this test ({', '.join(missing)} missing): {APT_HINT}")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*CHROME_FLAGS, f"--user-data-dir={profile}", "--window-size=1280,900"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=driver), options=options)


@pytest.mark.browser
def test_the_report_opens_in_headless_chromium_with_no_request_and_no_error(
    report_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from selenium.webdriver.common.by import By

    monkeypatch.setenv("SE_OFFLINE", "true")  # selenium-manager must not look for drivers online
    browser = _chrome(tmp_path / "profile")
    try:
        browser.get(report_file.as_uri())
        assert browser.title == f"Occupancy report as of {AS_OF}"
        assert browser.find_element(By.ID, "as-of").text == AS_OF
        assert browser.find_element(By.ID, "latest-rate").text.startswith(lake.ACTUALS_INITIAL[AS_OF][7])
        charts = browser.find_elements(By.CSS_SELECTOR, "svg.chart")
        assert [c.get_attribute("data-chart") for c in charts] == list(EXPORTED_CHARTS)
        for chart in charts:
            size = chart.size
            assert size["width"] > 300 and size["height"] > 100, (chart.get_attribute("data-chart"), size)
            # the glyphs and clip paths are <use>/url(#...) references: they must resolve in the page
            box = browser.execute_script("const b = arguments[0].querySelector('g').getBBox(); "
                                         "return [b.width, b.height];", chart)  # fmt: skip
            assert box[0] > 0 and box[1] > 0
        # the page fetched nothing at all (the file itself is the navigation, not a resource)
        assert (
            browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)") == []
        )
        severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        assert severe == []
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        height = int(browser.execute_script("return document.documentElement.scrollHeight"))
        browser.set_window_size(1280, height)  # the whole page: the window's height less its frame
        frame = int(browser.execute_script("return window.outerHeight - window.innerHeight"))
        browser.set_window_size(1280, height + frame)
        assert browser.save_screenshot(str(ARTIFACTS / "report.png"))
    finally:
        browser.quit()
    assert (ARTIFACTS / "report.png").stat().st_size > 10_000
