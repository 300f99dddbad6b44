"""`sqlmesh ui` (the `ui` extra, part of the dev set) serves SQLMesh's web UI offline.

The real CLI on a built small lake: the page and the project's models answer over HTTP, with no
network (the UI's pages ship in the sqlmesh wheel).
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.request

from pipeline.sqlmesh_env import PROJECT_DIR
from tests.sqlmesh_project import small_lake as lake
from tests.sqlmesh_project.conftest import SQLMESH


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return resp.status, resp.read()


def test_sqlmesh_ui_serves_the_page_and_the_project_models_offline(project):
    lake.write_initial(project.config)
    project.sqlmesh("plan", "--auto-apply", "--no-prompts")
    port = _free_port()
    proc = subprocess.Popen(
        [SQLMESH, "ui", "--host", "127.0.0.1", "--port", str(port)],
        cwd=str(PROJECT_DIR), env=project.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                status, page = _get(f"http://127.0.0.1:{port}/")
                break
            except OSError:
                assert proc.poll() is None, proc.communicate()[0]
                assert time.monotonic() < deadline, "sqlmesh ui did not answer in 90 s"
                time.sleep(0.5)
        assert status == 200 and b"<title>SQLMesh" in page
        status, body = _get(f"http://127.0.0.1:{port}/api/models")
        names = {m["name"] for m in json.loads(body)}
        assert status == 200
        assert {"silver.tenant_status_history", "gold.occupancy_daily_metrics"} <= names
    finally:
        proc.terminate()
        proc.wait(timeout=30)
