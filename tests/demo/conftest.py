"""Helpers of the demo tests: a throwaway MariaDB database per test, loaded with the real client."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from typing import Any

import pytest


class ScratchDB:
    """A fresh database named with a uuid; loads dumps with `mariadb`, dumps with `mysqldump`."""

    def __init__(self, server: dict[str, Any]) -> None:
        self.server = server
        self.name = f"demo_{uuid.uuid4().hex[:12]}"
        self._args = ["-h", server["host"], "-P", str(server["port"]), "-u", server["user"]]

    def sql(self, statement: str, database: str = "") -> str:
        cmd = ["mariadb", *self._args, "--batch", "--skip-column-names", "-e", statement]
        if database:
            cmd.append(database)
        return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout

    def create(self) -> None:
        self.sql(f"CREATE DATABASE `{self.name}` CHARACTER SET utf8mb4")

    def drop(self) -> None:
        self.sql(f"DROP DATABASE IF EXISTS `{self.name}`")

    def load(self, sql_text: bytes) -> None:
        """Feed a dump to the real `mariadb` client, as an operator restoring it would."""
        subprocess.run(["mariadb", *self._args, self.name], input=sql_text, check=True, capture_output=True)

    def mysqldump(self, *options: str) -> bytes:
        return subprocess.run(
            ["mysqldump", *self._args, *options, self.name], check=True, capture_output=True
        ).stdout

    def connect(self) -> Any:
        import pymysql

        return pymysql.connect(
            host=self.server["host"],
            port=self.server["port"],
            user=self.server["user"],
            password=self.server["password"],
            database=self.name,
            charset="utf8mb4",
        )


@pytest.fixture
def scratch_db(mysql_server: dict[str, Any]) -> Iterator[ScratchDB]:
    db = ScratchDB(mysql_server)
    db.create()
    try:
        yield db
    finally:
        db.drop()
