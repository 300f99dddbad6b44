"""`lakehouse publish`: the summary, --dry-run, and one-line failures."""

from __future__ import annotations

import subprocess

from tests.publish.conftest import LAKEHOUSE, SNAPSHOT_DAYS, cli_env, read_all
from tests.publish.warehouses import V1, V2, expected, write_warehouse


def _run(config, *args):
    return subprocess.run(
        [*LAKEHOUSE, "publish", *args], env=cli_env(config), capture_output=True, text=True, timeout=120
    )


def test_dry_run_then_publish(pub_config, root):
    write_warehouse(pub_config.warehouse.path, V1)
    dry = _run(pub_config, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "publish (dry run, nothing written) as of 2026-02-10" in dry.stdout
    assert read_all(root, pub_config) == dict.fromkeys(V1)
    lines = {line.split()[0]: line for line in dry.stdout.splitlines()[1:]}
    snap = lines[f"{pub_config.mysql.databases['silver']}.tenant_room_snapshot_daily"]
    assert "create" in snap and "would insert         9" in snap

    real = _run(pub_config)
    assert real.returncode == 0, real.stderr
    assert real.stdout.startswith("publish as of 2026-02-10: 7 tables, inserted 31, updated 0, deleted 0")
    assert read_all(root, pub_config) == expected(V1, SNAPSHOT_DAYS)

    write_warehouse(pub_config.warehouse.path, V2)
    dry = _run(pub_config, "--dry-run")
    metrics = [line for line in dry.stdout.splitlines() if "occupancy_daily_metrics" in line][0]
    assert "would insert         0  update         5  delete         1" in metrics
    assert read_all(root, pub_config) == expected(V1, SNAPSHOT_DAYS)


def test_full_verify_option(pub_config, root):
    write_warehouse(pub_config.warehouse.path, V1)
    assert _run(pub_config).returncode == 0
    proc = _run(pub_config, "--full-verify")
    assert proc.returncode == 0, proc.stderr
    assert "inserted 0, updated 0, deleted 0" in proc.stdout


def test_a_missing_warehouse_is_one_clear_line(pub_config):
    proc = _run(pub_config)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        f"lakehouse publish: error: warehouse not found: {pub_config.warehouse.path} "
        "(run the models first: lakehouse models)"
    ]


def test_help_lists_the_options():
    proc = subprocess.run([*LAKEHOUSE, "publish", "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "--dry-run" in proc.stdout and "--full-verify" in proc.stdout
