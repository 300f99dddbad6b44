"""`pipeline.sqlmesh_env.project_fingerprint`: what lets a daily run skip SQLMesh's plan diff."""

from __future__ import annotations

import dataclasses
import shutil

from pipeline.sqlmesh_env import PROJECT_DIR, project_fingerprint


def copy_project(tmp_path):
    target = tmp_path / "sqlmesh_project"
    shutil.copytree(PROJECT_DIR, target, ignore=shutil.ignore_patterns(".cache", "logs", "__pycache__"))
    return target


def test_the_fingerprint_is_stable_for_the_same_project_and_config(local_config, tmp_path):
    project = copy_project(tmp_path)
    assert project_fingerprint(local_config, project) == project_fingerprint(local_config, project)
    # SQLMesh's cache and logs are not the project
    (project / ".cache").mkdir()
    (project / ".cache" / "x").write_text("cached")
    (project / "logs").mkdir()
    (project / "logs" / "sqlmesh.log").write_text("log")
    assert project_fingerprint(local_config, project) == project_fingerprint(local_config, PROJECT_DIR)


def test_a_changed_model_file_audit_or_test_changes_the_fingerprint(local_config, tmp_path):
    project = copy_project(tmp_path)
    before = project_fingerprint(local_config, project)
    seen = {before}
    for path in (
        "models/gold/occupancy_daily_metrics.sql",
        "audits/breakdowns.sql",
        "tests/test_occupancy_daily_actuals.yaml",
        "macros/lake.py",
    ):
        f = project / path
        original = f.read_bytes()
        f.write_bytes(original + b"\n")
        changed = project_fingerprint(local_config, project)
        assert changed not in seen, path
        seen.add(changed)
        f.write_bytes(original)
    assert project_fingerprint(local_config, project) == before
    (project / "models" / "gold" / "new_model.sql").write_text("MODEL (name gold.x); SELECT 1 AS x")
    assert project_fingerprint(local_config, project) not in seen


def test_a_changed_kpi_variable_or_start_changes_the_fingerprint(local_config):
    base = project_fingerprint(local_config)
    forward = local_config.replace(kpi=dataclasses.replace(local_config.kpi, forward_days=30))
    codes = local_config.replace(kpi=dataclasses.replace(local_config.kpi, occupied_status_codes=[6]))
    assert len({base, project_fingerprint(forward), project_fingerprint(codes)}) == 3
