"""deploy/glue/: the DuckDB 1.4 set for CPython 3.9 resolves, the pins agree, the entry point works.

The slow test builds the project's wheel and runs the `pip download` of deploy/glue/README.md for
CPython 3.9 (Glue Python Shell): it must pick duckdb 1.4.4 and exactly the pinned versions. It
runs that pip under a Python 3.9 interpreter when one is installed: a newer interpreter's pip
evaluates environment markers for itself, not for the target (on 3.11 it would accept urllib3 2.x,
which botocore forbids on Python < 3.10).
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

REPO = Path(__file__).resolve().parent.parent.parent
GLUE = REPO / "deploy" / "glue"
PY39_CONSTRAINTS = GLUE / "constraints-py39.txt"
# the platforms of Glue Python Shell (x86_64, glibc 2.26): duckdb 1.4.4's cp39 wheel is manylinux_2_26
PLATFORMS = ("manylinux2014_x86_64", "manylinux_2_26_x86_64")


def pins(path: Path) -> dict[str, str]:
    """{normalized name: version} of a constraints file of `name==version` lines."""
    out: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        req = Requirement(line)
        (spec,) = req.specifier
        assert spec.operator == "==", line
        out[_norm(req.name)] = spec.version
    return out


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _project_dependencies() -> dict[str, Requirement]:
    try:
        import tomllib  # novermin: Python >= 3.11
    except ImportError:  # pragma: no cover - Python 3.9/3.10
        tomllib = pytest.importorskip("tomli")
    data = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    reqs = (Requirement(r) for r in data["project"]["dependencies"])
    return {_norm(r.name): r for r in reqs}


def test_the_py39_set_pins_duckdb_1_4_4_and_its_httpfs_wheel() -> None:
    p = pins(PY39_CONSTRAINTS)
    assert p["duckdb"] == "1.4.4"
    assert p["duckdb-extension-httpfs"] == p["duckdb"]
    assert Version(p["urllib3"]) < Version("2"), "botocore requires urllib3 < 2 on Python < 3.10"


def test_the_main_set_pins_httpfs_to_the_duckdb_version() -> None:
    p = pins(REPO / "constraints.txt")
    assert p["duckdb-extension-httpfs"] == p["duckdb"]
    assert p["sqlmesh"] == "0.236.4"


@pytest.mark.parametrize("constraints", [REPO / "constraints.txt", PY39_CONSTRAINTS], ids=["main", "py39"])
def test_the_project_ranges_admit_both_pinned_sets(constraints: Path) -> None:
    p = pins(constraints)
    for name, req in _project_dependencies().items():
        assert name in p, f"{constraints.name} does not pin {name}"
        assert req.specifier.contains(p[name], prereleases=True), f"{name}=={p[name]} vs {req}"


def _python39() -> Optional[str]:
    candidates = [
        shutil.which("python3.9"),
        *sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.9*/bin/python3.9"))),
    ]
    for exe in candidates:
        if exe and subprocess.run([exe, "-m", "pip", "--version"], capture_output=True).returncode == 0:
            return exe
    return None


@pytest.mark.slow
def test_the_project_resolves_for_cpython_3_9_with_duckdb_1_4_4(tmp_path: Path) -> None:
    # the wheel, built from a copy of the checkout (a build in place would write build/ there)
    src = tmp_path / "src"
    shutil.copytree(
        REPO,
        src,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "var", "build", "*.egg-info", "__pycache__", ".*_cache", ".cache", "logs", "out"
        ),
    )
    wheels = tmp_path / "whl"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "-q", "-w", str(wheels)],
        check=True,
    )
    (wheel,) = wheels.glob("occupancy_lakehouse-*.whl")

    python = _python39() or sys.executable
    dest = tmp_path / "py39"
    platforms = [arg for p in PLATFORMS for arg in ("--platform", p)]
    subprocess.run(
        [python, "-m", "pip", "download", "--python-version", "3.9", "--only-binary=:all:", *platforms,
         "-q", "-d", str(dest), "-c", str(PY39_CONSTRAINTS), str(wheel)],
        check=True,
    )  # fmt: skip
    got = {}
    for f in dest.iterdir():
        name, version = f.name.split("-")[:2]
        got[_norm(name)] = version
    assert got.pop("occupancy-lakehouse") == "0.1.0"
    assert got["duckdb"] == "1.4.4"
    assert got["duckdb-extension-httpfs"] == "1.4.4"
    assert any(f.name.startswith("duckdb-1.4.4-cp39-") for f in dest.iterdir())
    expected = pins(PY39_CONSTRAINTS)
    # every package of the resolution is pinned (the file is the complete set) at that version
    assert {n: v for n, v in got.items() if expected.get(n) != v} == {}
    if python != sys.executable:  # resolved by a 3.9 pip: the markers were 3.9's, the set is exact
        assert set(got) == set(expected)


# --- the Glue entry point ------------------------------------------------------------------------


@pytest.fixture
def glue_entry(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.syspath_prepend(str(GLUE))
    import glue_entry

    return glue_entry


def test_glue_job_parameters_become_the_lakehouse_environment(glue_entry) -> None:  # type: ignore[no-untyped-def]
    argv = [
        "--JOB_NAME", "occupancy-daily", "--JOB_RUN_ID", "jr_1",
        "--LAKEHOUSE__WAREHOUSE__PERSIST_URI", "s3://b/state/warehouse.duckdb",
        "--LAKEHOUSE__LAKE__ROOT=s3://b/lake", "--TempDir", "s3://tmp/",
    ]  # fmt: skip
    assert glue_entry.lakehouse_parameters(argv) == {
        "LAKEHOUSE__WAREHOUSE__PERSIST_URI": "s3://b/state/warehouse.duckdb",
        "LAKEHOUSE__LAKE__ROOT": "s3://b/lake",
    }


@pytest.mark.parametrize("code", [0, 1, 3])
def test_glue_entry_runs_lakehouse_daily_and_returns_its_exit_code(
    glue_entry, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], code: int
) -> None:  # type: ignore[no-untyped-def]
    import pipeline.cli

    calls = []

    def fake_main(argv):  # type: ignore[no-untyped-def]
        calls.append((argv, os.environ.get("LAKEHOUSE__LAKE__ROOT")))
        return code

    monkeypatch.setattr(pipeline.cli, "main", fake_main)
    monkeypatch.delenv("LAKEHOUSE_CONFIG", raising=False)
    monkeypatch.setenv("LAKEHOUSE__LAKE__ROOT", "unset")
    assert glue_entry.main(["--JOB_NAME", "j", "--LAKEHOUSE__LAKE__ROOT", "/tmp/lake"]) == code
    assert calls == [(["daily"], "/tmp/lake")]
    assert capsys.readouterr().out.splitlines()[-1] == f"lakehouse-exit-code={code}"


def test_glue_entry_runs_the_command_it_is_given(glue_entry, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    import pipeline.cli

    calls = []
    monkeypatch.setattr(pipeline.cli, "main", lambda argv: calls.append(argv) or 0)
    assert glue_entry.main(["--LAKEHOUSE_COMMAND", "daily --no-publish"]) == 0
    assert calls == [["daily", "--no-publish"]]


def test_the_readme_has_the_schedule_and_says_duckdb_1_4_is_unsupported() -> None:
    text = (GLUE / "README.md").read_text(encoding="utf-8")
    for needle in (
        "cron(30 6 * * ? *)",
        "Asia/Tokyo",
        "--additional-python-modules",
        "--python-modules-installer-option",
        "end of community support",
        ".current.json",
        "lakehouse-exit-code=3",
    ):
        assert needle in text, needle
