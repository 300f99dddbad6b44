"""Reaching MySQL: clear errors, real users and privileges, Secrets Manager, retries, no leaked password."""

from __future__ import annotations

import dataclasses
import json
import logging
import secrets
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pymysql
import pytest

from lake.errors import PublishError
from publish import checkpoints, connection
from publish.credentials import resolve_target
from publish.publisher import lock_name, publish
from tests.publish.conftest import LAKEHOUSE, SNAPSHOT_DAYS, cli_env, read_all
from tests.publish.warehouses import V1, V2, expected, write_warehouse


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def make_user(root: Any, pub_config: Any) -> Iterator[Any]:
    """make_user(privileges) -> (name, password): a real MySQL user with grants on this test's databases."""
    made: list[str] = []

    def make(privileges: str = "ALL PRIVILEGES") -> tuple[str, str]:
        name = f"pub_{uuid.uuid4().hex[:8]}"
        password = "Pw-" + secrets.token_hex(12)
        with root.cursor() as cur:
            cur.execute(f"CREATE USER '{name}'@'%%' IDENTIFIED BY %s", (password,))
            made.append(name)
            for db in {*pub_config.mysql.databases.values(), pub_config.mysql.log_database}:
                cur.execute(f"GRANT {privileges} ON `{db}`.* TO '{name}'@'%'")
        return name, password

    yield make
    with root.cursor() as cur:
        for name in made:
            cur.execute(f"DROP USER IF EXISTS '{name}'@'%'")


def _as_user(config: Any, user: str, **mysql: Any) -> Any:
    return config.replace(mysql=dataclasses.replace(config.mysql, user=user, **mysql))


def test_unreachable_mysql_names_host_and_port(pub_config):
    write_warehouse(pub_config.warehouse.path, V1)
    port = _free_port()
    cfg = pub_config.replace(mysql=dataclasses.replace(pub_config.mysql, port=port, retries=1))
    t0 = time.monotonic()
    with pytest.raises(PublishError, match=rf"cannot reach MySQL at 127.0.0.1:{port} after 2 attempt"):
        publish(cfg)
    assert time.monotonic() - t0 < 10


def test_a_wrong_password_is_rejected_without_showing_it(pub_config, make_user, monkeypatch):
    write_warehouse(pub_config.warehouse.path, V1)
    user, _ = make_user()
    wrong = "Wrong-" + secrets.token_hex(8)
    monkeypatch.setenv(pub_config.mysql.password_env, wrong)
    with pytest.raises(PublishError) as err:
        publish(_as_user(pub_config, user))
    text = str(err.value)
    assert f"MySQL at 127.0.0.1:3306 rejected user '{user}'" in text
    assert "$LAKEHOUSE_MYSQL_PASSWORD" in text
    assert wrong not in text and wrong not in repr(err.value)


def test_a_missing_privilege_is_named(pub_config, make_user, root, monkeypatch):
    write_warehouse(pub_config.warehouse.path, V1)
    with root.cursor() as cur:
        for db in pub_config.mysql.databases.values():
            cur.execute(f"CREATE DATABASE `{db}`")
    user, password = make_user("SELECT")
    monkeypatch.setenv(pub_config.mysql.password_env, password)
    with pytest.raises(
        PublishError, match=rf"MySQL user '{user}' at 127.0.0.1:3306 lacks a privilege"
    ) as err:
        publish(_as_user(pub_config, user))
    assert "publish needs SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER" in str(err.value)
    assert password not in str(err.value)


def test_a_user_with_the_documented_privileges_can_publish(pub_config, make_user, root, monkeypatch):
    write_warehouse(pub_config.warehouse.path, V1)
    user, password = make_user("SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER")
    monkeypatch.setenv(pub_config.mysql.password_env, password)
    publish(_as_user(pub_config, user))
    assert read_all(root, pub_config) == expected(V1, SNAPSHOT_DAYS)


def test_the_password_never_appears_in_output_or_errors(pub_config, make_user, root):
    """A real password, verbose logging, a dry run, a publish, and two failures: it shows up nowhere."""
    write_warehouse(pub_config.warehouse.path, V1)
    user, password = make_user()
    env = cli_env(pub_config, LAKEHOUSE__MYSQL__USER=user, LAKEHOUSE_MYSQL_PASSWORD=password)
    outputs = []
    for args in (["publish", "--dry-run"], ["publish"], ["publish"]):
        proc = subprocess.run([*LAKEHOUSE, "-v", *args], env=env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        outputs.append(proc.stdout + proc.stderr)
    assert "publish as of 2026-02-10" in outputs[1]
    with root.cursor() as cur:  # lose a privilege: a failing run must not leak either
        cur.execute(f"REVOKE ALL PRIVILEGES ON `{pub_config.mysql.databases['silver']}`.* FROM '{user}'@'%'")
    write_warehouse(pub_config.warehouse.path, V2)
    proc = subprocess.run([*LAKEHOUSE, "-v", "publish"], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "lacks a privilege" in proc.stderr
    outputs.append(proc.stdout + proc.stderr)
    bad = dict(env, LAKEHOUSE__MYSQL__PORT=str(_free_port()), LAKEHOUSE__MYSQL__RETRIES="0")
    proc = subprocess.run([*LAKEHOUSE, "-v", "publish"], env=bad, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "cannot reach MySQL" in proc.stderr
    outputs.append(proc.stdout + proc.stderr)
    for out in outputs:
        assert password not in out
    assert password not in repr(
        resolve_target(_as_user(pub_config, user), {"LAKEHOUSE_MYSQL_PASSWORD": password})
    )


def test_a_second_publish_waits_for_the_first(pub_config, root, monkeypatch):
    from publish import publisher

    write_warehouse(pub_config.warehouse.path, V1)
    monkeypatch.setattr(publisher, "PUBLISH_LOCK_WAIT_SECONDS", 0)
    with root.cursor() as cur:
        cur.execute("SELECT GET_LOCK(%s, 0)", (lock_name(pub_config),))
        try:
            with pytest.raises(PublishError, match="another publish to the same MySQL databases is running"):
                publish(pub_config)
        finally:
            cur.execute("SELECT RELEASE_LOCK(%s)", (lock_name(pub_config),))
    publish(pub_config)


class _RetrySeen(logging.Handler):
    def __init__(self, code: str) -> None:
        super().__init__()
        self.code = code
        self.event = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if "transient MySQL error" in record.getMessage() and self.code in record.getMessage():
            self.event.set()


def test_a_lock_wait_timeout_is_retried(pub_config, root, monkeypatch):
    """A reader holds row locks on the day publish must delete: 1205, back off, retry, succeed."""
    monkeypatch.setattr(connection, "LOCK_WAIT_TIMEOUT_SECONDS", 1)
    cfg = pub_config.replace(mysql=dataclasses.replace(pub_config.mysql, retries=6))
    write_warehouse(cfg.warehouse.path, V1)
    publish(cfg)
    write_warehouse(cfg.warehouse.path, V2)
    silver = cfg.mysql.databases["silver"]
    seen = _RetrySeen("1205")
    logging.getLogger("publish.connection").addHandler(seen)
    holder = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="")
    try:
        with holder.cursor() as cur:
            cur.execute("START TRANSACTION")
            cur.execute(
                f"SELECT * FROM `{silver}`.tenant_room_snapshot_daily "
                "WHERE snapshot_date = '2026-02-08' FOR UPDATE"
            )

        def release() -> None:
            seen.event.wait(60)
            holder.commit()

        t = threading.Thread(target=release)
        t.start()
        report = publish(cfg)
        t.join()
    finally:
        logging.getLogger("publish.connection").removeHandler(seen)
        holder.close()
    assert seen.event.is_set()
    assert report.table("silver.tenant_room_snapshot_daily").deleted == 3
    assert read_all(root, cfg) == expected(V2, SNAPSHOT_DAYS)


def test_a_killed_connection_is_reopened_and_the_transaction_rerun_from_the_diff(
    pub_config, root, monkeypatch
):
    """`KILL <id>` of the publish connection between two steps, and again in the middle of the
    transaction (after two tables were written): the server rolls it back, the retry starts again
    from the diff and publishes everything once."""
    write_warehouse(pub_config.warehouse.path, V1)
    publish(pub_config)
    write_warehouse(pub_config.warehouse.path, V2)
    killed = []
    real_reached = checkpoints.reached

    def kill_publisher(point: str) -> None:
        if point in ("prepared", "wrote-tenant_status_history") and point not in killed:
            with root.cursor() as cur:
                cur.execute("SELECT IS_USED_LOCK(%s)", (lock_name(pub_config),))
                cur.execute(f"KILL {int(cur.fetchone()[0])}")
            killed.append(point)
        real_reached(point)

    monkeypatch.setattr(checkpoints, "reached", kill_publisher)
    report = publish(pub_config)
    assert killed == ["prepared", "wrote-tenant_status_history"]
    assert read_all(root, pub_config) == expected(V2, SNAPSHOT_DAYS)
    # the same counts as an undisturbed run (see test_publish: V1 -> V2)
    assert report.table("silver.tenant_room_snapshot_daily").inserted == 4
    h = report.table("silver.tenant_status_history")
    assert (h.inserted, h.updated, h.deleted, h.total) == (3, 1, 1, 6)
    with root.cursor() as cur:
        cur.execute(
            f"SELECT status, COUNT(*) FROM `{pub_config.mysql.log_database}`.publish_log WHERE run_id = %s "
            "GROUP BY status",
            (report.run_id,),
        )
        assert cur.fetchall() == (("ok", 7),)


# ----------------------------------------------------------------------------- Secrets Manager


@pytest.fixture
def secretsmanager(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """moto's Secrets Manager server on a free port; boto3 pointed at it through the environment."""
    import boto3

    port = _free_port()
    moto = str(__import__("pathlib").Path(sys.executable).parent / "moto_server")
    proc = subprocess.Popen(
        [moto, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    env = {
        "AWS_ENDPOINT_URL_SECRETS_MANAGER": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "ap-northeast-1",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    client = boto3.client("secretsmanager", region_name="ap-northeast-1", endpoint_url=env[
        "AWS_ENDPOINT_URL_SECRETS_MANAGER"])  # fmt: skip
    deadline = time.time() + 30
    while True:
        try:
            client.list_secrets()
            break
        except Exception:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("moto_server did not start")
            time.sleep(0.2)
    try:
        yield client, env
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_credentials_from_a_secrets_manager_secret(pub_config, make_user, root, secretsmanager):
    client, env = secretsmanager
    user, password = make_user()
    arn = client.create_secret(
        Name=f"rds/lakehouse-{uuid.uuid4().hex[:6]}",
        SecretString=json.dumps(
            {"username": user, "password": password, "engine": "mysql", "host": "127.0.0.1", "port": 3306}
        ),
    )["ARN"]
    # the config's own host/port/user are wrong: the secret's values override them
    cfg = pub_config.replace(
        mysql=dataclasses.replace(pub_config.mysql, secret_arn=arn, host="db.invalid", port=1, user="nobody")
    )
    target = resolve_target(cfg, environ={})
    assert (target.host, target.port, target.user, target.origin) == (
        "127.0.0.1",
        3306,
        user,
        f"secret {arn}",
    )
    write_warehouse(cfg.warehouse.path, V1)
    publish(cfg)
    assert read_all(root, cfg) == expected(V1, SNAPSHOT_DAYS)

    run_env = cli_env(cfg, LAKEHOUSE__MYSQL__SECRET_ARN=arn, LAKEHOUSE__MYSQL__HOST="db.invalid", **env)
    proc = subprocess.run(
        [*LAKEHOUSE, "-v", "publish"], env=run_env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert password not in proc.stdout + proc.stderr


def test_a_missing_secret_is_named(pub_config, secretsmanager):
    arn = "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:rds/missing-AbCdEf"
    cfg = pub_config.replace(mysql=dataclasses.replace(pub_config.mysql, secret_arn=arn))
    write_warehouse(cfg.warehouse.path, V1)
    with pytest.raises(PublishError, match=rf"cannot read secret {arn}: ResourceNotFoundException"):
        publish(cfg)


def test_a_secret_that_is_not_rds_json_is_named_without_its_content(pub_config, secretsmanager):
    client, _ = secretsmanager
    arn = client.create_secret(Name="rds/garbled", SecretString="hunter2-not-json")["ARN"]
    cfg = pub_config.replace(mysql=dataclasses.replace(pub_config.mysql, secret_arn=arn))
    with pytest.raises(PublishError, match=rf"secret {arn} is not a JSON object") as err:
        resolve_target(cfg)
    assert "hunter2" not in str(err.value)
