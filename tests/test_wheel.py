"""The wheel is the whole product: installed from it, outside the checkout, the daily job runs.

The wheel is built the way `pip install .` builds it (an isolated build of a copy of the
checkout's files) and installed with ``--no-deps`` into a fresh virtualenv outside the checkout.
Its dependencies are the ones this interpreter already has, reached through a ``.pth`` line naming
our site-packages: ``.pth`` files found *there* are not executed, so the checkout's editable
install (a ``.pth`` import hook) stays out and nothing of the checkout is importable. A
``sqlmesh_project`` missing from the wheel makes ``lakehouse daily`` fail here as it did for
the tester (``FileNotFoundError: .../site-packages/sqlmesh_project``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parent.parent
PROJECT_FILES = [
    "config.py",
    "external_models.yaml",
    "macros/lake.py",
    "macros/kpi.py",
    "signals/__init__.py",
    "seeds/status_codes.csv",
    "audits/grain.sql",
    "models/gold/occupancy_daily_metrics.sql",
    "models/silver/tenant_status_history.sql",
    "tests/test_occupancy_daily_metrics.yaml",
]

pytestmark = pytest.mark.slow


def _run(cmd: list[str], timeout: float = 300, **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kwargs)
    assert proc.returncode == 0, (
        f"{' '.join(map(str, cmd))} exited {proc.returncode}\n"
        f"--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-4000:]}"
    )
    return proc


def _source_copy(dest: Path) -> Path:
    """The checkout's files as git sees them (tracked and new, not ignored), without var/, .venv, ..."""
    names = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, names):
        src = REPO / os.fsdecode(name)
        if src.is_file():  # a file deleted in the work tree is still listed as cached
            target = dest / os.fsdecode(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)
    return dest


def build_wheel(source: Path, out: Path) -> Path:
    """The wheel `pip install .` would build of `source` (build isolation, like the Dockerfile)."""
    _run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-q", "-w", str(out)])
    (wheel,) = out.glob("occupancy_lakehouse-*.whl")
    return wheel


def install_wheel(wheel: Path, venv: Path) -> Path:
    """A fresh venv with the wheel and no trace of the checkout; returns its site-packages."""
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    site = Path(
        _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    )
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "_lakehouse_test_dependencies.pth").write_text("\n".join(sorted(ours)) + "\n")
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)])
    return site


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LAKEHOUSE", "PYTHON", "SQLMESH", "VIRTUAL_ENV"))
    }
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("wheel")
    wheel = build_wheel(_source_copy(base / "src"), base / "dist")
    venv = base / "venv"
    site = install_wheel(wheel, venv)
    return {"wheel": wheel, "venv": venv, "site": site}


def test_the_wheel_ships_the_sqlmesh_project(installed: dict[str, Path]) -> None:
    project = installed["site"] / "sqlmesh_project"
    missing = [name for name in PROJECT_FILES if not (project / name).is_file()]
    assert not missing, f"not in the wheel: {missing}"
    root = REPO / "sqlmesh_project"
    checkout = sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.suffix in {".py", ".sql", ".yaml", ".csv"}
        and not {"logs", ".cache", "__pycache__"} & set(p.relative_to(root).parts)
    )
    assert [name for name in checkout if not (project / name).is_file()] == []


def test_the_installed_code_and_project_come_from_site_packages_not_the_checkout(
    installed: dict[str, Path], tmp_path: Path
) -> None:
    probe = textwrap.dedent(
        """
        import importlib.util
        import lake, pipeline, pipeline.sqlmesh_env as env, sqlmesh_project
        print(lake.__file__)
        print(pipeline.__file__)
        print(*sqlmesh_project.__path__)
        print(env._installed_project())
        print(env.PROJECT_DIR)
        print(importlib.util.find_spec("tests") is None and importlib.util.find_spec("bench") is None)
        """
    )
    copies = tmp_path / "copies"
    env = clean_env(LAKEHOUSE_SQLMESH_PROJECT_DIR=str(copies))
    out = _run([str(installed["venv"] / "bin" / "python"), "-c", probe], cwd=tmp_path, env=env)
    *paths, project_dir, no_checkout = out.stdout.split("\n")[:6]
    site = installed["site"].resolve()
    for path in paths:
        assert Path(path).resolve().is_relative_to(site), path
        assert not Path(path).resolve().is_relative_to(REPO), path
    assert Path(paths[-1]).resolve() == site / "sqlmesh_project"
    assert no_checkout == "True", "the checkout's own folders are importable"
    # SQLMesh runs a copy of the installed project outside site-packages (pipeline.sqlmesh_env)
    assert Path(project_dir).parent == copies
    shipped = sorted(
        p.relative_to(site / "sqlmesh_project")
        for p in (site / "sqlmesh_project").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )
    assert shipped == sorted(p.relative_to(project_dir) for p in Path(project_dir).rglob("*") if p.is_file())
    for name in shipped:
        assert (Path(project_dir) / name).read_bytes() == (site / "sqlmesh_project" / name).read_bytes()


def test_demo_data_and_the_daily_job_run_from_any_folder_with_just_a_config_yaml(
    installed: dict[str, Path], tmp_path: Path
) -> None:
    work = tmp_path / "anywhere"
    work.mkdir()
    (work / "config.yaml").write_text(
        textwrap.dedent(
            """
            lake: {root: lake}
            source: {root: dumps}
            warehouse: {path: state/warehouse.duckdb}
            publish: {enabled: false}
            """
        )
    )
    project = installed["site"] / "sqlmesh_project"
    before = {p for p in project.rglob("*") if "__pycache__" not in p.parts}
    bin_ = installed["venv"] / "bin"
    env = clean_env(
        LAKEHOUSE_SQLMESH_PROJECT_DIR=str(tmp_path / "copies"),
        LAKEHOUSE_DUCKDB_EXTENSION_DIR=str(tmp_path / "duckdb-ext"),
    )
    _run([str(bin_ / "lakehouse"), "demo-data", "--days", "3"], cwd=work, env=env)
    assert len(list((work / "dumps").glob("*.sql.gz"))) == 3
    daily = _run([str(bin_ / "lakehouse"), "daily", "--no-publish"], cwd=work, env=env)

    con = duckdb.connect(str(work / "state" / "warehouse.duckdb"), read_only=True)
    try:
        rows = con.execute("SELECT count(*) FROM gold.occupancy_daily_metrics").fetchone()[0]
    finally:
        con.close()
    assert rows > 0, daily.stdout
    assert (work / "lake").is_dir()
    # SQLMesh's own CLI on the installed project, inside the warehouse session
    fetched = _run(
        [
            str(bin_ / "lakehouse"),
            "sqlmesh",
            "fetchdf",
            "SELECT count(*) AS n FROM gold.occupancy_daily_metrics",
        ],
        cwd=work,
        env=env,
    )
    assert str(rows) in fetched.stdout, fetched.stdout
    # httpfs came from the duckdb-extension-httpfs wheel, copied for DuckDB (lake.extensions)
    assert list((tmp_path / "duckdb-ext").glob("v*/*/httpfs.duckdb_extension"))
    # the installed project is only read: a root-owned site-packages in the image is enough
    after = {p for p in project.rglob("*") if "__pycache__" not in p.parts}
    assert sorted(map(str, after - before)) == []
