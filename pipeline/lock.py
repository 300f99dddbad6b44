"""A lock so two daily jobs never write the warehouse at once.

The lock is an object next to the warehouse: `<persist_uri>.lock` on S3 when the warehouse is
persisted there (ephemeral ECS/Glue tasks), else `<warehouse.path>.lock` on the local disk.
It is taken with a conditional create (S3 `If-None-Match: *`, local `O_EXCL`), so exactly one
taker wins. A lock older than `warehouse.lock_ttl_seconds` belongs to a crashed run and is
taken over -- on S3 with `If-Match: <etag>` so two runs cannot both take over the same stale lock.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid
from typing import Any, Optional

from lake.config import Config
from lake.s3 import is_s3, split_uri
from lake.storage import storage_for

log = logging.getLogger(__name__)


class LockHeld(RuntimeError):
    """Another run holds the warehouse lock."""


def lock_uri(config: Config) -> str:
    return (config.warehouse.persist_uri or config.warehouse.path) + ".lock"


class WarehouseLock:
    """`with WarehouseLock(config): ...` -- raises :class:`LockHeld` when another run is active."""

    def __init__(self, config: Config, purpose: str = "daily job") -> None:
        self.config = config
        self.uri = lock_uri(config)
        self.storage = storage_for(self.uri, config)
        self.token = uuid.uuid4().hex
        self.purpose = purpose

    def _body(self) -> bytes:
        now = time.time()
        return json.dumps(
            {
                "token": self.token,
                "host": socket.gethostname(),
                "pid": os.getpid(),
                "purpose": self.purpose,
                "acquired_at": now,
                "expires_at": now + self.config.warehouse.lock_ttl_seconds,
            }
        ).encode()

    def _read(self) -> Optional[dict[str, Any]]:
        try:
            return json.loads(self.storage.read_bytes(self.uri))
        except Exception:
            return None

    def acquire(self) -> WarehouseLock:
        if self.storage.put_if_absent(self.uri, self._body()):
            return self
        held = self._read() or {}
        if held.get("expires_at", 0) > time.time():
            raise LockHeld(
                f"warehouse lock {self.uri} is held by {held.get('purpose', '?')} on "
                f"{held.get('host', '?')} (pid {held.get('pid', '?')}) since "
                f"{time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(held.get('acquired_at', 0)))} UTC; "
                "wait for it to finish (or delete the lock file if that run is certainly dead)"
            )
        log.warning("taking over stale warehouse lock %s (held by %s)", self.uri, held.get("host"))
        if not self._take_over():
            raise LockHeld(f"warehouse lock {self.uri} was taken over by another run")
        return self

    def _take_over(self) -> bool:
        info = self.storage.stat(self.uri)
        if info is None:
            return self.storage.put_if_absent(self.uri, self._body())
        if is_s3(self.uri):
            from botocore.exceptions import ClientError

            bucket, key = split_uri(self.uri)
            try:
                self.storage._client.put_object(Bucket=bucket, Key=key, Body=self._body(), IfMatch=info.etag)
            except ClientError:
                return False
        else:
            tmp = f"{self.uri}.{self.token}"
            with open(tmp, "wb") as fh:
                fh.write(self._body())
            os.replace(tmp, self.uri)
        return (self._read() or {}).get("token") == self.token

    def release(self) -> None:
        if (self._read() or {}).get("token") == self.token:
            self.storage.delete(self.uri)

    def __enter__(self) -> WarehouseLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
