"""`lakehouse status`: the pure rules (gaps, behind days, attention, JSON keys) on hand-written
inputs, and the real CLI on a demo deployment: after a daily it names the latest day and the
last publish per table (exit 0); a gap, a corrected dump and a stale source give exit 3 with
the reasons; MySQL or S3 on a closed port gives exit 1 in seconds; it answers while another
process holds the warehouse DuckDB file open for writing.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import socket
import time
import uuid

import duckdb
import pymysql
import pytest

from demo.generate import generate_dumps, render_dump_text
from loaders.partitions import correction_record
from pipeline.status import (
    LakeStatus,
    PublishedTable,
    PublishFailure,
    PublishStatus,
    ServiceStatus,
    SourceStatus,
    Status,
    WarehouseStatus,
    attention_reasons,
    behind_days,
    corrections,
    format_days,
    gap_days,
    last_ingest,
    publish_reasons,
    unknown_reasons,
)
from publish.publog import write_failure
from tests.pipeline.conftest import make_deployment

D = dt.date.fromisoformat
START = D("2026-01-01")


def days(*isos: str) -> list[dt.date]:
    return [D(x) for x in isos]


# ----------------------------------------------------------------------------- pure helpers


def test_gap_days_are_the_calendar_days_between_first_and_last_without_a_committed_day():
    assert gap_days(days("2026-01-01", "2026-01-02", "2026-01-05", "2026-01-06", "2026-01-09")) == days(
        "2026-01-03", "2026-01-04", "2026-01-07", "2026-01-08"
    )
    assert gap_days([]) == [] and gap_days(days("2026-01-01")) == []
    assert gap_days(days("2026-02-27", "2026-03-01")) == days("2026-02-28")


def test_format_days_joins_runs_and_counts_the_rest():
    assert format_days(days("2026-01-03", "2026-01-04", "2026-01-07")) == "2026-01-03..2026-01-04, 2026-01-07"
    many = [START + dt.timedelta(days=2 * i) for i in range(10)]
    text = format_days(many, shown=3)
    assert text == "2026-01-01, 2026-01-03, 2026-01-05 (+7 more days)"


def test_behind_days_new_changed_removed_and_before_models_start():
    lake = {D("2025-12-31"): "old", D("2026-01-01"): "a", D("2026-01-02"): "b2", D("2026-01-04"): "d"}
    computed = {"2026-01-01": "a", "2026-01-02": "b", "2026-01-03": "c"}
    # 01-02 changed, 01-03 removed from the lake, 01-04 newer than as-of; 2025-12-31 is before start
    assert behind_days(lake, computed, D("2026-01-03"), START) == days(
        "2026-01-02", "2026-01-03", "2026-01-04"
    )
    assert (
        behind_days(lake, {"2026-01-01": "a", "2026-01-02": "b2", "2026-01-04": "d"}, D("2026-01-04"), START)
        == []
    )
    # nothing computed yet: every lake day from models.start
    assert behind_days(lake, None, None, START) == days("2026-01-01", "2026-01-02", "2026-01-04")


def test_correction_record_is_set_on_a_changed_day_and_carried_over():
    assert correction_record(None, None, "fp1", "2026-01-02T00:00:00Z") == {}
    first = {"fingerprint": "fp1", "ingested_at": "2026-01-02T00:00:00Z"}
    assert correction_record(first, "fp1", "fp1", "2026-01-03T00:00:00Z") == {}  # same content again
    fixed = correction_record(first, "fp1", "fp2", "2026-01-04T00:00:00Z")
    assert fixed == {"replaces": "fp1", "replaced_at": "2026-01-04T00:00:00Z", "corrections": 1}
    again = correction_record({**first, **fixed}, "fp2", "fp2", "2026-01-05T00:00:00Z")
    assert again == fixed  # rewritten with the same content: the record stays
    twice = correction_record({**first, **fixed}, "fp2", "fp3", "2026-01-06T00:00:00Z")
    assert twice == {"replaces": "fp2", "replaced_at": "2026-01-06T00:00:00Z", "corrections": 2}


def test_corrections_and_last_ingest_come_from_the_manifest_entries():
    entries = {
        D("2026-01-01"): {"ingested_at": "2026-01-02T01:00:00Z", "ingested_at_epoch": 100.0, "source": "a"},
        D("2026-01-02"): {
            "ingested_at": "2026-01-05T01:00:00Z", "ingested_at_epoch": 300.0, "source": "b",
            "replaces": "fp0", "replaced_at": "2026-01-05T01:00:00Z", "corrections": 2,
        },
        D("2026-01-03"): {"ingested_at": "2026-01-04T01:00:00Z", "ingested_at_epoch": 200.0, "source": "c"},
    }  # fmt: skip
    found = corrections(entries)
    assert [(c.day, c.replaced_at, c.replaces, c.corrections) for c in found] == [
        (D("2026-01-02"), "2026-01-05T01:00:00Z", "fp0", 2)
    ]
    assert last_ingest(entries) == ("2026-01-05T01:00:00Z", D("2026-01-02"), "b")
    assert last_ingest({}) == (None, None, None)


def _publish(as_of: str = "2026-01-10", failure_id: int = 0, enabled: bool = True) -> PublishStatus:
    tables = ["gold.occupancy_daily_metrics", "silver.tenant_status_history"]
    pub = PublishStatus(enabled=enabled, log_table="gold.publish_log", expected=tables)
    pub.tables = [
        PublishedTable(t, 10, D(as_of), "2026-01-10T06:00:00Z", "r1", "keyed", log_id=i + 1)
        for i, t in enumerate(tables)
    ]
    if failure_id:
        pub.last_failure = PublishFailure("2026-01-11T06:00:00Z", D("2026-01-11"), "r2", "boom", failure_id)
    return pub


def _sections(**changes):
    lake = LakeStatus("var/lake", days=days("2026-01-01", "2026-01-02", "2026-01-04"))
    lake.gaps = gap_days(lake.days)
    source = SourceStatus("var/dumps", "{date:%Y%m%d}.sql.gz", None, dump_count=3, newest_day=D("2026-01-04"))
    warehouse = WarehouseStatus(computed=True, as_of=D("2026-01-10"), computed_days=list(lake.days))
    sections = {"lake": lake, "source": source, "warehouse": warehouse, "publish": _publish()}
    sections.update(changes)
    return sections


def test_gaps_and_corrections_alone_need_no_attention():
    s = _sections()
    assert s["lake"].gaps == days("2026-01-03")
    assert attention_reasons(**s) == []


def test_attention_for_stale_source_behind_warehouse_and_publish():
    stale = SourceStatus(
        "d", "p", 1, dump_count=1, newest_day=D("2026-01-04"), stale="the newest dump is old"
    )
    behind = WarehouseStatus(computed=True, as_of=D("2026-01-10"), behind=days("2026-01-02", "2026-01-11"))
    reasons = attention_reasons(**_sections(source=stale, warehouse=behind))
    assert reasons[0] == "the newest dump is old"
    assert reasons[1].startswith("the warehouse (as of 2026-01-10) is behind the lake: 2 days to compute")
    assert "2026-01-02, 2026-01-11" in reasons[1]
    nothing = WarehouseStatus(behind=days("2026-01-01"))
    assert attention_reasons(**_sections(warehouse=nothing))[0].startswith(
        "the warehouse has computed nothing yet"
    )
    empty = LakeStatus("var/lake")
    assert attention_reasons(**_sections(lake=empty)) == ["the lake at var/lake has no committed day"]


def test_publish_rules():
    assert publish_reasons(_publish(), D("2026-01-10")) == []
    # a failure newer than the last success needs a person; an older one does not
    failed = publish_reasons(_publish(failure_id=9), D("2026-01-10"))
    assert failed == ["the last publish failed at 2026-01-11T06:00:00Z (as of 2026-01-11): boom"]
    assert publish_reasons(_publish(failure_id=1), D("2026-01-10")) == []
    older = publish_reasons(_publish(as_of="2026-01-09"), D("2026-01-10"))
    assert older == [
        "published as of 2026-01-09, older than the warehouse as of 2026-01-10: "
        "gold.occupancy_daily_metrics, silver.tenant_status_history (run lakehouse publish)"
    ]
    missing = _publish()
    missing.tables = missing.tables[:1]
    assert publish_reasons(missing, D("2026-01-10"))[0].startswith(
        "never published: silver.tenant_status_history"
    )
    assert publish_reasons(_publish(as_of="2026-01-01", failure_id=9, enabled=False), D("2026-01-10")) == []
    # nothing computed and nothing published (a fresh deployment): nothing to compare yet
    fresh = PublishStatus(enabled=True, log_table="gold.publish_log", expected=["gold.x"])
    assert publish_reasons(fresh, None) == []


def _status(**changes) -> Status:
    sections = _sections(
        **{k: v for k, v in changes.items() if k in ("lake", "source", "warehouse", "publish")}
    )
    s = Status(
        checked_at="2026-01-11T00:00:00Z",
        today=D("2026-01-11"),
        timezone="Asia/Tokyo",
        s3=changes.get("s3", ServiceStatus(used=False)),
        mysql=changes.get("mysql", ServiceStatus(used=True, target="127.0.0.1:3306", ok=True)),
        **sections,
    )
    s.attention = attention_reasons(s.lake, s.source, s.warehouse, s.publish)
    s.unknown = unknown_reasons(s)
    return s


def test_verdict_and_exit_codes():
    ok = _status()
    assert (ok.status, ok.exit_code) == ("ok", 0)
    look = _status(source=SourceStatus("d", "p", 1, stale="old"))
    assert (look.status, look.exit_code, look.attention) == ("attention", 3, ["old"])
    down = ServiceStatus(used=True, target="127.0.0.1:1", ok=False, error="cannot reach MySQL")
    blind = _status(source=SourceStatus("d", "p", 1, stale="old"), mysql=down)
    assert (blind.status, blind.exit_code) == ("unknown", 1)
    assert blind.unknown == ["MySQL: cannot reach MySQL"] and blind.attention == ["old"]


def test_json_keys_are_stable_snake_case():
    data = _status().to_json()
    assert list(data) == [
        "status", "exit_code", "attention", "unknown", "checked_at", "today", "timezone",
        "lake", "last_ingest", "source", "warehouse", "publish", "services",
    ]  # fmt: skip
    assert list(data["lake"]) == [
        "root", "first_day", "last_day", "day_count", "gap_count", "gaps", "corrected_count", "corrected",
        "error",
    ]  # fmt: skip
    assert list(data["last_ingest"]) == ["at", "day", "source"]
    assert list(data["source"]) == [
        "root", "key_pattern", "dump_count", "newest_day", "newest_uri", "age_days", "max_age_days", "stale",
        "problems", "error",
    ]  # fmt: skip
    assert list(data["warehouse"]) == [
        "computed", "as_of", "written_at", "session", "computed_count", "computed_first_day",
        "computed_last_day", "behind_count", "behind", "error",
    ]  # fmt: skip
    assert list(data["publish"]) == [
        "enabled", "log_table", "tables", "never_published", "last_success_at", "last_failure",
        "failed_since_success", "error",
    ]  # fmt: skip
    assert list(data["publish"]["tables"][0]) == [
        "table",
        "rows",
        "as_of",
        "published_at",
        "run_id",
        "strategy",
    ]
    assert list(data["services"]) == ["s3", "mysql"]
    assert list(data["services"]["mysql"]) == ["used", "ok", "address", "error"]
    assert data["lake"]["gaps"] == ["2026-01-03"] and data["warehouse"]["as_of"] == "2026-01-10"
    json.dumps(data)  # every value is JSON


def test_text_is_one_aligned_screen_with_the_reasons_last():
    s = _status(source=SourceStatus("d", "p", 1, stale="the newest dump is old"))
    lines = s.text().splitlines()
    assert 12 <= len(lines) <= 25, lines
    assert lines[0].endswith("ATTENTION") and lines[-1] == "[attention] the newest dump is old"
    assert any(line.startswith("  gaps") and "1 day: 2026-01-03" in line for line in lines)
    body = [line for line in lines[1:] if not line.startswith("[")]
    col = len(body[0]) - len(body[0][len("lake") :].lstrip())  # where the text column starts
    for line in body:
        assert line[col] != " " and " " not in line[:col].strip(), line  # label | text, aligned


# ----------------------------------------------------------------------------- the real CLI


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _status_json(deploy, *extra_args: str, **env: str) -> tuple[int, dict, str]:
    proc = deploy.run("task", "--config", str(deploy.config_file), "status", "--json", *extra_args, **env)
    assert proc.returncode in (0, 1, 3), proc.stderr
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def _dump(deploy, day: dt.date) -> str:
    cfg = deploy.config.source
    return os.path.join(cfg.root, cfg.key_pattern.format(date=day))


@pytest.mark.slow
def test_status_after_daily_then_gap_correction_stale_and_mysql_down(tmp_path, mysql_config):
    deploy = make_deployment(
        tmp_path,
        mysql={"databases": dict(mysql_config.mysql.databases),
               "log_database": mysql_config.mysql.log_database, "connect_timeout": 2},
        publish={"enabled": True},
    )  # fmt: skip
    generate_dumps(deploy.config, None, START, 8, profile="small", workers=1)
    os.remove(_dump(deploy, D("2026-01-05")))  # a gap day: its dump never arrived
    daily = deploy.run("task", "daily")
    assert daily.returncode == 0, daily.stderr

    # while another process holds the warehouse file open for writing
    con = duckdb.connect(deploy.warehouse("task"))
    try:
        code, data, _ = _status_json(deploy)
        text = deploy.run("task", "status")
    finally:
        con.close()
    assert code == 0, data
    assert data["status"] == "ok" and data["attention"] == [] and data["unknown"] == []
    lake = data["lake"]
    assert (lake["first_day"], lake["last_day"], lake["day_count"]) == ("2026-01-01", "2026-01-08", 7)
    assert lake["gaps"] == ["2026-01-05"] and lake["corrected"] == []
    assert data["last_ingest"]["day"] and data["last_ingest"]["at"].endswith("Z")
    assert data["source"]["newest_day"] == "2026-01-08" and data["source"]["dump_count"] == 7
    assert data["warehouse"]["as_of"] == "2026-01-08" and data["warehouse"]["behind"] == []
    gold, silver = mysql_config.mysql.databases["gold"], mysql_config.mysql.databases["silver"]
    published = {t["table"]: t for t in data["publish"]["tables"]}
    assert set(published) == {
        f"{gold}.occupancy_daily_metrics", f"{gold}.tenant_status_transitions",
        f"{silver}.tenant_status_history", f"{silver}.tenant_room_snapshot_daily",
        f"{gold}.occupancy_daily_metrics_by_area", f"{gold}.occupancy_daily_metrics_by_apartment",
        f"{gold}.occupancy_projection_accuracy",
    }  # fmt: skip
    assert all(t["as_of"] == "2026-01-08" and t["rows"] > 0 for t in published.values())
    assert data["publish"]["last_failure"] is None and data["services"]["mysql"]["ok"] is True
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert 12 <= len(lines) <= 25 and lines[0].endswith("OK"), text.stdout
    assert any("1 day: 2026-01-05" in line for line in lines)

    # a corrected dump (day 3 now holds day 4's rows), ingested without the models
    with open(_dump(deploy, D("2026-01-03")), "wb") as fh:
        fh.write(gzip.compress(render_dump_text(START, D("2026-01-04"), days=8), 1))
    ingest = deploy.run("task", "ingest")
    assert ingest.returncode == 0 and "(1 replaced)" in ingest.stdout, ingest.stdout + ingest.stderr
    code, data, _ = _status_json(deploy, LAKEHOUSE__SOURCE__MAX_AGE_DAYS="1")
    assert code == 3 and data["status"] == "attention", data
    assert data["lake"]["gaps"] == ["2026-01-05"]
    [fixed] = data["lake"]["corrected"]
    assert fixed["day"] == "2026-01-03" and fixed["replaced_at"].endswith("Z") and fixed["replaces"]
    assert data["warehouse"]["behind"] == ["2026-01-03"] and data["source"]["stale"] is True
    assert len(data["attention"]) == 2, data["attention"]
    assert data["attention"][0].startswith("the newest dump is dated 2026-01-08")
    assert data["attention"][1].startswith("the warehouse (as of 2026-01-08) is behind the lake: 1 day")
    text = deploy.run("task", "status", LAKEHOUSE__SOURCE__MAX_AGE_DAYS="1")
    assert text.returncode == 3
    assert text.stdout.splitlines()[-2:] == [f"[attention] {r}" for r in data["attention"]]
    assert "2026-01-03 replaced" in text.stdout

    # the models catch up: the publish is now older than the warehouse; then a failed publish
    models = deploy.run("task", "models")
    assert models.returncode == 0, models.stderr
    con = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", autocommit=True)
    try:
        with con.cursor() as cur:
            write_failure(
                cur, mysql_config.mysql.log_database, uuid.uuid4().hex, D("2026-01-08"), 1.0, "boom"
            )
    finally:
        con.close()
    code, data, _ = _status_json(deploy)
    assert code == 3 and data["warehouse"]["behind"] == [], data
    assert (
        data["publish"]["failed_since_success"] is True
        and data["publish"]["last_failure"]["message"] == "boom"
    )
    assert any(
        r.startswith("the last publish failed at ") and r.endswith(": boom") for r in data["attention"]
    )

    # MySQL on a closed port: cannot tell, in seconds
    t0 = time.monotonic()
    code, data, _ = _status_json(
        deploy, LAKEHOUSE__MYSQL__PORT=str(_free_port()), LAKEHOUSE__MYSQL__CONNECT_TIMEOUT="1"
    )
    assert time.monotonic() - t0 < 15
    assert code == 1 and data["status"] == "unknown", data
    assert data["services"]["mysql"]["ok"] is False and data["unknown"][0].startswith(
        "MySQL: cannot reach MySQL"
    )
    assert data["lake"]["last_day"] == "2026-01-08"  # the rest is still reported


def test_status_without_publish_on_an_empty_lake_and_with_s3_down(tmp_path):
    deploy = make_deployment(tmp_path)  # publish disabled: MySQL is not asked
    code, data, _ = _status_json(deploy)
    assert code == 3 and data["attention"] == [f"the lake at {deploy.config.lake.root} has no committed day"]
    assert data["services"]["mysql"]["used"] is False and data["publish"]["enabled"] is False

    (tmp_path / "s3").mkdir()
    s3 = make_deployment(
        tmp_path / "s3", lake={"root": "s3://lake/nowhere"},
        s3={"endpoint": f"http://127.0.0.1:{_free_port()}", "url_style": "path", "region": "us-east-1",
            "connect_timeout": 1, "read_timeout": 1, "max_attempts": 1},
    )  # fmt: skip
    t0 = time.monotonic()
    code, data, _ = _status_json(s3, AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="y")
    assert time.monotonic() - t0 < 15
    assert code == 1 and data["services"]["s3"]["ok"] is False, data
    assert data["unknown"][0].startswith("S3: ") and data["lake"]["error"] == "S3 does not answer"
