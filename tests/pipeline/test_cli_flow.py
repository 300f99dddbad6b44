"""The standalone commands a user runs: `lakehouse ingest` then `lakehouse models`.

A corrected older dump ingested by `lakehouse ingest` is restated by the next
`lakehouse models`, with no date given by the user: the day's lake content no longer matches
what the warehouse computed it from.
"""

from __future__ import annotations

import datetime as dt
import gzip
import os
import subprocess
import sys

import pytest
import yaml

from demo.generate import generate_dumps, render_dump_text
from pipeline.sqlmesh_env import config_to_yaml
from tests.conftest import REPO
from tests.pipeline import oracle
from tests.pipeline.test_daily import START, dump_path, metrics_in_warehouse, truth


def lakehouse(config_path: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "--config", config_path, *args],
        capture_output=True, text=True, cwd=REPO, timeout=600,
    )  # fmt: skip


@pytest.mark.slow
def test_ingest_then_models_restates_a_corrected_dump(local_config, tmp_path):
    cfg_path = str(tmp_path / "config.yaml")
    with open(cfg_path, "w") as fh:
        yaml.safe_dump(
            {
                "lake": {"root": local_config.lake.root},
                "source": {"root": local_config.source.root},
                "warehouse": {"path": local_config.warehouse.path},
            },
            fh,
        )
    generate_dumps(local_config, local_config.source.root, START, 4, profile="small")
    days = [START + dt.timedelta(days=i) for i in range(4)]

    first = lakehouse(cfg_path, "ingest")
    assert first.returncode == 0, first.stderr
    assert "4 day(s) written" in first.stdout
    built = lakehouse(cfg_path, "models")
    assert built.returncode == 0, built.stderr
    assert metrics_in_warehouse(local_config) == oracle.metrics(truth(days))

    # day 2's dump is corrected (it now holds day 3's rows)
    with open(dump_path(local_config, days[1]), "wb") as fh:
        fh.write(gzip.compress(render_dump_text(START, days[2], days=4), 1))
    again = lakehouse(cfg_path, "ingest")
    assert again.returncode == 0, again.stderr
    assert "(1 replaced)" in again.stdout

    restated = lakehouse(cfg_path, "models")
    assert restated.returncode == 0, restated.stderr
    assert "restated 2026-01-02" in restated.stdout
    assert metrics_in_warehouse(local_config) == oracle.metrics(truth(days, replace={days[1]: days[2]}))
    assert os.path.exists(local_config.warehouse.path)


@pytest.mark.slow
def test_a_daily_on_demo_data_prints_one_line_per_step_and_the_summaries(mysql_config, tmp_path):
    cfg_path = str(tmp_path / "config.yaml")
    with open(cfg_path, "w") as fh:
        fh.write(config_to_yaml(mysql_config))
    generate_dumps(mysql_config, mysql_config.source.root, START, 30, profile="small")
    for run in ("first build", "up to date"):
        proc = lakehouse(cfg_path, "daily")
        assert proc.returncode == 0, proc.stderr
        lines = (proc.stdout + proc.stderr).splitlines()
        assert len(lines) <= 15, (run, lines)
        assert len(set(lines)) == len(lines), (run, lines)  # each line once
        assert [line for line in lines if line.startswith("[")] == [
            line for line in lines if line.split(" ")[0] in ("[ingest]", "[models]", "[publish]")
        ]
        text = "\n".join(lines)
        assert "No models are ready" not in text and "━" not in text and "ingest [" not in text
    assert "models: run (up to date)" in text and "nothing to compute" in text
