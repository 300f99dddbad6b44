"""TLS to MySQL: a throwaway MariaDB with a certificate from a test CA, on a free port."""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymysql
import pytest

from lake.config import TlsConfig
from lake.errors import PublishError
from publish.connection import connect_mysql
from publish.publisher import publish
from tests.publish.warehouses import V1, write_warehouse

pytestmark = pytest.mark.skipif(
    not (
        shutil.which("mariadb-install-db") and Path("/usr/sbin/mariadbd").exists() and shutil.which("openssl")
    ),
    reason="needs mariadb-install-db, mariadbd and openssl",
)


def _sh(*cmd: str, cwd: Path) -> None:
    subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    d = tmp_path_factory.mktemp("tls-mariadb")
    _sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
        "-days", "2", "-subj", "/CN=lakehouse-test-ca", cwd=d)  # fmt: skip
    _sh("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=127.0.0.1", cwd=d)  # fmt: skip
    (d / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    _sh("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf", cwd=d)  # fmt: skip
    user = ["--user=root"] if os.geteuid() == 0 else []
    _sh("mariadb-install-db", "--no-defaults", f"--datadir={d / 'data'}", *user,
        "--auth-root-authentication-method=normal", "--skip-test-db", cwd=d)  # fmt: skip
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(d / "server.log", "ab")  # noqa: SIM115 - open for the server's whole life
    proc = subprocess.Popen(
        ["/usr/sbin/mariadbd", "--no-defaults", f"--datadir={d / 'data'}", *user, f"--port={port}",
         "--bind-address=127.0.0.1", f"--socket={d / 'sock'}", f"--pid-file={d / 'pid'}",
         f"--ssl-ca={d / 'ca.pem'}", f"--ssl-cert={d / 'server.pem'}", f"--ssl-key={d / 'server.key'}",
         "--innodb-buffer-pool-size=32M", "--skip-log-bin"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.time() + 60
        while True:
            try:
                pymysql.connect(host="127.0.0.1", port=port, user="root", password="").close()
                break
            except pymysql.err.OperationalError:
                assert proc.poll() is None and time.time() < deadline, (d / "server.log").read_text()
                time.sleep(0.3)
        yield {"port": port, "ca": str(d / "ca.pem")}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def _tls_config(config: Any, server: dict[str, Any], **tls: Any) -> Any:
    settings = {"enabled": True, "ca": server["ca"], "verify_identity": True, **tls}
    return config.replace(
        mysql=dataclasses.replace(config.mysql, port=server["port"], retries=1, tls=TlsConfig(**settings))
    )


def test_publish_over_verified_tls(local_config, tls_server):
    cfg = _tls_config(local_config, tls_server)
    write_warehouse(cfg.warehouse.path, V1)
    report = publish(cfg)
    assert report.table("gold.occupancy_daily_metrics").total == 6
    con = connect_mysql(cfg)
    try:
        with con.cursor() as cur:
            cur.execute("SHOW SESSION STATUS LIKE 'Ssl_version'")
            assert cur.fetchone()[1].startswith("TLS")
    finally:
        con.close()


def test_an_untrusted_certificate_fails_clearly_and_fast(local_config, tls_server):
    cfg = _tls_config(local_config, tls_server, ca=None)  # system CAs do not know the test CA
    t0 = time.monotonic()
    with pytest.raises(
        PublishError, match=rf"TLS connection to MySQL at 127.0.0.1:{tls_server['port']} failed"
    ):
        connect_mysql(cfg)
    assert time.monotonic() - t0 < 5  # not retried


def test_the_host_name_is_checked_when_verify_identity_is_on(local_config, tls_server):
    cfg = _tls_config(local_config, tls_server)
    cfg = cfg.replace(mysql=dataclasses.replace(cfg.mysql, host="localhost"))  # the cert names 127.0.0.1 only
    with pytest.raises(PublishError, match="TLS connection .* failed"):
        connect_mysql(cfg)
    relaxed = cfg.replace(mysql=dataclasses.replace(cfg.mysql, tls=TlsConfig(True, tls_server["ca"], False)))
    connect_mysql(relaxed).close()


def test_a_missing_ca_bundle_is_named(local_config, tls_server, tmp_path):
    cfg = _tls_config(local_config, tls_server, ca=str(tmp_path / "nope.pem"))
    with pytest.raises(PublishError, match="mysql.tls.ca: CA bundle not found: .*nope.pem"):
        connect_mysql(cfg)
