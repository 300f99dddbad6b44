"""DuckDB extensions from pip wheels, never from the network.

`INSTALL httpfs` downloads from extensions.duckdb.org, which is unreachable in locked-down
VPCs (and on CI here). The `duckdb-extension-httpfs` wheel ships the binary; we copy it
into a private extension directory laid out as DuckDB expects
(`<dir>/v<version>/<platform>/httpfs.duckdb_extension`), so both our own connections and
SQLMesh's (via `connector_config.extension_directory`) can `LOAD httpfs` offline.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import duckdb

EXTENSIONS = ("httpfs",)


def wheel_extension_file(name: str) -> Path:
    """The .duckdb_extension file shipped by the `duckdb-extension-<name>` wheel."""
    try:
        module = __import__(f"duckdb_extension_{name}")
    except ImportError:
        raise RuntimeError(
            f"the duckdb-extension-{name} wheel is not installed; "
            f"`pip install duckdb-extension-{name}=={duckdb.__version__}`"
        ) from None
    files = sorted(Path(module.__file__).parent.glob(f"extensions/v*/{name}.duckdb_extension"))
    wanted = [f for f in files if f.parent.name == f"v{duckdb.__version__}"]
    if not wanted:
        found = ", ".join(f.parent.name for f in files) or "none"
        raise RuntimeError(
            f"duckdb-extension-{name} does not match duckdb {duckdb.__version__} (wheel has: {found}); "
            "pin both to the same version"
        )
    return wanted[0]


def _platform() -> str:
    con = duckdb.connect()
    try:
        return con.execute("PRAGMA platform").fetchone()[0]
    finally:
        con.close()


def extension_directory() -> str:
    """A directory holding every wheel extension in DuckDB's layout (created once, reused)."""
    base = Path(
        os.environ.get("LAKEHOUSE_DUCKDB_EXTENSION_DIR")
        or Path(tempfile.gettempdir()) / "lakehouse-duckdb-ext"
    )
    target_dir = base / f"v{duckdb.__version__}" / _platform()
    for name in EXTENSIONS:
        src = wheel_extension_file(name)
        dst = target_dir / f"{name}.duckdb_extension"
        if not dst.exists() or dst.stat().st_size != src.stat().st_size:
            target_dir.mkdir(parents=True, exist_ok=True)
            tmp = dst.with_suffix(f".tmp{os.getpid()}")
            shutil.copyfile(src, tmp)
            os.replace(tmp, dst)
    return str(base)
