"""How SQLMesh processes get the project and exactly the job's configuration.

Every SQLMesh process the job starts (the models child, `lakehouse sqlmesh ...`) runs in
:data:`PROJECT_DIR` with ``$LAKEHOUSE_CONFIG`` pointing at a temporary ``config.yaml`` written
from the job's resolved :class:`~lake.config.Config` (:func:`config_to_yaml`), so the project's
``config.py`` sees the same lake, warehouse and KPI settings as the job -- including overrides
given on the command line or as ``LAKEHOUSE__...`` variables, which are not passed on again.
``$LAKEHOUSE_SESSION`` tells the project it runs inside a warehouse session (pipeline.session).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import importlib.util
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Optional

import yaml

from lake.config import ENV_CONFIG, ENV_PREFIX, Config
from lake.processes import die_with_parent_process

#: where an installed project is copied to run (default: <tmp>/lakehouse-sqlmesh-project)
ENV_PROJECT_COPIES = "LAKEHOUSE_SQLMESH_PROJECT_DIR"
_NOT_PROJECT = ("__pycache__", ".cache", "logs")


def _installed_project() -> Path:
    """The SQLMesh project as shipped: next to ``pipeline/`` in a checkout and in an install.

    The wheel installs ``sqlmesh_project/`` (a namespace package, its SQL, YAML and CSV files as
    package data) beside ``pipeline/``: ``<checkout>/sqlmesh_project`` or
    ``site-packages/sqlmesh_project``. The import system is asked only if the two were installed
    apart.
    """
    beside = Path(__file__).resolve().parent.parent / "sqlmesh_project"
    if (beside / "config.py").is_file():
        return beside
    spec = importlib.util.find_spec("sqlmesh_project")
    for location in (spec.submodule_search_locations or []) if spec else []:
        if (Path(location) / "config.py").is_file():
            return Path(location).resolve()
    return beside


def _project_files(root: Path) -> list[Path]:
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and not set(p.relative_to(root).parts) & set(_NOT_PROJECT) and p.suffix != ".pyc"
    )


def _project_dir() -> Path:
    """The folder SQLMesh runs the project in.

    A checkout's ``sqlmesh_project/`` itself. An installed project is copied once per content
    (``<copies>/<sha256 prefix>/``, by an atomic rename) and run from the copy: SQLMesh takes
    any Python file under a ``site-packages`` path for a library, so it would not serialize the
    project's macros (nor the variables they read) into its snapshots; and the copy is where
    SQLMesh may write (``.cache/``, ``logs/``), while site-packages may be read-only (the ECS
    image installs it as root and runs as another user).
    """
    installed = _installed_project()
    if "site-packages" not in str(installed) or not installed.is_dir():
        return installed
    digest = hashlib.sha256()
    files = _project_files(installed)
    for f in files:
        digest.update(f.relative_to(installed).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    base = Path(
        os.environ.get(ENV_PROJECT_COPIES) or Path(tempfile.gettempdir()) / "lakehouse-sqlmesh-project"
    )
    target = base / digest.hexdigest()[:16]
    if (target / "config.py").is_file():
        return target
    base.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".copy-", dir=base))
    for f in files:
        dst = tmp / f.relative_to(installed)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f, dst)
    try:
        os.rename(tmp, target)
    except OSError:  # another process made the same copy first
        shutil.rmtree(tmp, ignore_errors=True)
        if not (target / "config.py").is_file():
            raise
    return target


#: the SQLMesh project (models, seeds, audits, macros, signals, tests) SQLMesh runs in
PROJECT_DIR = _project_dir()


def project_fingerprint(config: Config, project: Optional[Path] = None) -> str:
    """A hash of everything SQLMesh builds the models from, to skip the plan diff when unchanged.

    Covers the project's files (models, audits, macros, signals, seeds, tests, config.py), the
    resolved configuration (its variables, dates, paths), the versions of SQLMesh and sqlglot,
    and the source of the ``lake`` package (the macros and signals import it). A daily run whose
    fingerprint and ``prod`` plan match those recorded after the previous successful run cannot
    have changed models.
    """
    import sqlglot
    import sqlmesh

    import lake

    root = project or PROJECT_DIR
    digest = hashlib.sha256()
    for part in (sqlmesh.__version__, sqlglot.__version__, config_to_yaml(config)):
        digest.update(str(part).encode() + b"\0")
    lake_dir = Path(lake.__file__).parent
    sources = [(f"lake/{f.name}", f) for f in sorted(lake_dir.glob("*.py"))]
    sources += [(f.relative_to(root).as_posix(), f) for f in _project_files(root)]
    for name, f in sources:
        digest.update(name.encode() + b"\0" + f.read_bytes() + b"\0")
    return digest.hexdigest()


#: set in the environment of SQLMesh processes started inside a warehouse session
ENV_SESSION = "LAKEHOUSE_SESSION"


def config_to_yaml(config: Config) -> str:
    """The YAML of a fully resolved config (what `load_config` of that file gives back)."""

    def conv(v: Any) -> Any:
        if isinstance(v, dt.date):
            return v.isoformat()
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [conv(x) for x in v]
        return v

    data = conv(dataclasses.asdict(config))
    data.pop("source_file", None)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


@contextlib.contextmanager
def sqlmesh_environment(config: Config, session: Optional[str] = None) -> Iterator[dict[str, str]]:
    """The environment of a SQLMesh child process; the config file lives as long as the block."""
    with tempfile.TemporaryDirectory(prefix="lakehouse-sqlmesh-") as tmp:
        cfg_file = Path(tmp) / "config.yaml"
        cfg_file.write_text(config_to_yaml(config), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
        env[ENV_CONFIG] = str(cfg_file)
        env.setdefault("PYTHONUNBUFFERED", "1")
        env.setdefault("COLUMNS", "160")  # SQLMesh's log is not wrapped at 80 columns
        env["SQLMESH__DISABLE_ANONYMIZED_ANALYTICS"] = "1"  # no network calls
        # SQLMesh parses the project in forked workers (one per CPU) unless told otherwise; for
        # this project's ~20 files on a 2-core task the forks and the parsed models pickled back
        # cost more than parsing in process (the daily run's load step 1.2-1.6 s -> 0.7-1.0 s,
        # docs/benchmarks/models.md)
        env.setdefault("MAX_FORK_WORKERS", "1")
        if session:
            env[ENV_SESSION] = session
        else:
            env.pop(ENV_SESSION, None)
        yield env


def start_child(cmd: list[str], env: Mapping[str, str], **kwargs: Any) -> subprocess.Popen:
    """Start a child in PROJECT_DIR that is killed when this process dies (even by kill -9)."""
    return subprocess.Popen(
        cmd, cwd=str(PROJECT_DIR), env=dict(env), preexec_fn=die_with_parent_process, **kwargs
    )


def stop_child(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """Terminate a child that is still running (SIGTERM, then SIGKILL after `grace` seconds)."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
