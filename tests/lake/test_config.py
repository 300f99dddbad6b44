"""config.yaml is validated on load, overridable from the environment, and resolved once."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from lake.config import ConfigError, load_config
from tests.conftest import REPO


def write(tmp_path, text: str) -> str:
    p = tmp_path / "c.yaml"
    p.write_text(text, encoding="utf-8")
    return str(p)


def test_repo_config_defaults_are_spec_values():
    cfg = load_config(os.path.join(REPO, "config.yaml"), environ={})
    assert cfg.kpi.occupied_status_codes == [4, 5, 6, 7, 9]
    assert cfg.kpi.scheduled_status_codes == [4, 5]
    assert cfg.kpi.forward_days == 90
    assert cfg.kpi.lookback_days == 3
    assert cfg.publish.snapshot_days == 365
    assert cfg.source.key_pattern == "{date:%Y%m%d}.sql.gz"
    assert cfg.lake.root == os.path.join(REPO, "var", "lake")  # relative to the file
    assert cfg.models.start is None  # follows the lake


def test_env_overrides_every_key_with_yaml_values(tmp_path):
    env = {
        "LAKEHOUSE__LAKE__ROOT": "s3://acme-lake/occ/",
        "LAKEHOUSE__KPI__OCCUPIED_STATUS_CODES": "[4, 6, 14]",
        "LAKEHOUSE__KPI__FORWARD_DAYS": "60",
        "LAKEHOUSE__MYSQL__TLS__ENABLED": "true",
        "LAKEHOUSE__TABLES__TENANTS__COLUMNS__STATUS": "mgmt_status",
    }
    cfg = load_config(write(tmp_path, "lake: {root: here}\n"), environ=env)
    assert cfg.lake.root == "s3://acme-lake/occ"
    assert cfg.kpi.occupied_status_codes == [4, 6, 14]
    assert cfg.kpi.forward_days == 60
    assert cfg.mysql.tls.enabled is True
    assert cfg.tables["tenants"].columns == {"status": "mgmt_status"}
    assert cfg.tables["rooms"].source == "rooms"  # untouched tables keep their defaults


def test_relative_paths_resolve_against_the_config_file(tmp_path):
    cfg = load_config(write(tmp_path, "lake: {root: data/lake}\n"), environ={})
    assert cfg.lake.root == str(tmp_path / "data" / "lake")


def test_config_file_from_environment_variable(tmp_path):
    path = write(tmp_path, "kpi: {lookback_days: 7}\n")
    assert (
        load_config(environ={"LAKEHOUSE_CONFIG": path}).kpi.lookback_days == 3
    )  # environ only for overrides
    os.environ["LAKEHOUSE_CONFIG"] = path
    try:
        assert load_config(environ={}).kpi.lookback_days == 7
    finally:
        del os.environ["LAKEHOUSE_CONFIG"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("kpi: {forwrd_days: 3}\n", "unknown config key kpi.forwrd_days"),
        ("lakes: {}\n", "unknown config key lakes"),
        ("kpi: {forward_days: ninety}\n", "kpi.forward_days: expected an integer, got 'ninety'"),
        ("kpi: {forward_days: 0}\n", "kpi.forward_days: must be 1..3660"),
        ("kpi: {occupied_status_codes: []}\n", "kpi.occupied_status_codes: must list at least one"),
        ("kpi: {occupied_status_codes: 4}\n", "kpi.occupied_status_codes: expected a list"),
        ("mysql: {port: 70000}\n", "mysql.port: must be 1..65535"),
        (
            "mysql: {databases: {gold: 'g; DROP', silver: s}}\n",
            "mysql.databases.gold: not a valid database name",
        ),
        ("mysql: {tls: {enabled: yes please}}\n", "mysql.tls.enabled: expected true or false"),
        ("s3: {url_style: sideways}\n", "s3.url_style: must be 'path' or 'vhost'"),
        ("source: {key_pattern: 'dump.sql.gz'}\n", "source.key_pattern: must contain a {date:"),
        ("models: {start: 2024-13-01}\n", "models.start: expected a date"),
        ("tables: {tenants: {columns: {sttus: x}}}\n", "tables.tenants.columns.sttus: unknown column"),
        ("tables: {leases: {source: leases}}\n", "tables.leases: unknown table"),
        ("- just\n- a list\n", "the top level must be a mapping"),
        ("s3: {read_timeout: 0}\n", "s3.read_timeout: must be 1..600, got 0"),
        ("s3: {max_attempts: 1000}\n", "s3.max_attempts: must be 1..600"),
        ("warehouse: {lock_ttl_seconds: 5}\n", "warehouse.lock_ttl_seconds: must be >= 10"),
        ("warehouse: {persist_uri: ' '}\n", "warehouse.persist_uri: must not be empty"),
        ("source: {max_age_days: -1}\n", "source.max_age_days: must be >= 0"),
        ("source: {timezone: Mars/Olympus}\n", "source.timezone: unknown time zone 'Mars/Olympus'"),
        ("models: {gateway: snowflake}\n", "models.gateway: must be one of duckdb, spark, got 'snowflake'"),
        ("models: {batch_days: 0}\n", "models.batch_days: must be 1..36600 days, got 0"),
        ("models: {batch_days: yearly}\n", "models.batch_days"),
        ("spark: {conf: [a, b]}\n", "spark.conf: expected a mapping"),
        ("spark: {master_url: yarn}\n", "unknown config key spark.master_url"),
    ],
)
def test_bad_config_names_the_key(tmp_path, text, message):
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text), environ={})
    assert message in str(err.value)


def test_missing_config_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(str(tmp_path / "nope.yaml"), environ={})


def test_cli_reports_bad_config_in_one_line(tmp_path):
    path = write(tmp_path, "kpi: {forward_days: -1}\n")
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "--config", path, "config"],
        capture_output=True, text=True, cwd=REPO,
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.strip() == "lakehouse config: error: kpi.forward_days: must be 1..3660, got -1"


def test_options_work_before_and_after_the_command_and_bad_usage_exits_2(tmp_path):
    path = write(tmp_path, "kpi: {forward_days: 7}\n")
    for argv in (["--config", path, "config"], ["config", "--config", path]):
        proc = subprocess.run([sys.executable, "-m", "pipeline.cli", *argv], capture_output=True, text=True)
        assert proc.returncode == 0 and '"forward_days": 7' in proc.stdout, proc.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "ingest", "--start", "2026-13-01"],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "not a date YYYY-MM-DD: '2026-13-01'" in bad.stderr
