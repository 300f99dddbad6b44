"""The DuckDB connection factory loads httpfs from the wheel and talks to a real S3 server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from lake.connection import connect
from lake.storage import storage_for
from tests.conftest import REPO


def test_reads_and_writes_parquet_on_s3(s3_config, s3_server):
    con = connect(s3_config)
    target = f"{s3_config.lake.root}/probe/x.parquet"
    con.execute(f"COPY (SELECT 1 AS a, '入居中' AS b) TO '{target}' (FORMAT parquet)")
    assert con.execute(f"SELECT a, b FROM read_parquet('{target}')").fetchall() == [(1, "入居中")]
    info = storage_for(target, s3_config).stat(target)
    assert info is not None and info.size > 0
    loaded = con.execute(
        "SELECT loaded, install_path FROM duckdb_extensions() WHERE extension_name = 'httpfs'"
    ).fetchone()
    assert loaded[0] is True


def test_wrong_credentials_are_rejected_by_the_server(s3_config, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    con = connect(s3_config)
    with pytest.raises(Exception, match="403|Forbidden|SignatureDoesNotMatch|Access"):
        con.execute(f"COPY (SELECT 1) TO '{s3_config.lake.root}/x.parquet' (FORMAT parquet)")


@pytest.mark.skipif(not shutil.which("unshare") or os.geteuid() != 0, reason="needs root and unshare")
def test_works_with_no_network_at_all(tmp_path):
    """In a network namespace holding only loopback, httpfs still loads and S3 still works.

    The namespace has no route anywhere, so a network INSTALL would fail; the server runs inside it.
    A fresh, empty extension directory proves nothing was cached from an earlier download.
    """
    script = textwrap.dedent(
        f"""
        import dataclasses, os, sys
        sys.path.insert(0, {REPO!r})
        from pipeline.devservices import SeaweedS3
        from lake.config import load_config
        from lake.connection import connect
        with SeaweedS3(buckets=["lake"]) as s3:
            os.environ.update(s3.env())
            cfg = load_config({os.path.join(REPO, "config.yaml")!r}, environ={{}})
            s3cfg = dataclasses.replace(cfg.s3, endpoint=s3.endpoint, region="us-east-1", url_style="path")
            cfg = cfg.replace(s3=s3cfg)
            con = connect(cfg)
            try:
                con.execute("FORCE INSTALL httpfs FROM 'http://extensions.duckdb.org'")
                print("NETWORK-INSTALL-WORKED")
            except Exception:
                pass
            con.execute("COPY (SELECT 42 AS answer) TO 's3://lake/offline.parquet' (FORMAT parquet)")
            print("ANSWER", con.execute("SELECT answer FROM 's3://lake/offline.parquet'").fetchone()[0])
        """
    )
    env = {**os.environ, "LAKEHOUSE_DUCKDB_EXTENSION_DIR": str(tmp_path / "ext")}
    proc = subprocess.run(
        ["unshare", "--net", "sh", "-c", f"ip link set lo up && {sys.executable} -c \"$0\"", script],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "ANSWER 42" in proc.stdout
    assert "NETWORK-INSTALL-WORKED" not in proc.stdout
    assert list((tmp_path / "ext").rglob("httpfs.duckdb_extension"))
