"""One small file API over a local folder and S3, so every caller serves both.

Writes are atomic for readers: locally a temp file in the same folder is `os.replace`d
into place; on S3 a single PUT (or multipart upload) only becomes visible when complete.
`put_if_absent` / `put_if_match` give the conditional writes the warehouse lock is built on.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Optional

from lake.config import Config
from lake.errors import StorageError
from lake.s3 import client as s3_client
from lake.s3 import is_s3, split_uri



@dataclass(frozen=True)
class ObjectInfo:
    uri: str
    size: int
    #: S3 ETag, or "<mtime_ns>-<size>" for a local file: changes when the content is replaced
    etag: str


class LocalStorage:
    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        root = Path(prefix)
        if not root.exists():
            return
        for dirpath, _dirs, files in os.walk(root):
            for name in sorted(files):
                if ".tmp" in name:
                    continue
                info = self.stat(os.path.join(dirpath, name))
                if info is not None:
                    yield info

    def stat(self, uri: str) -> Optional[ObjectInfo]:
        try:
            st = os.stat(uri)
        except FileNotFoundError:
            return None
        return ObjectInfo(uri, st.st_size, f"{st.st_mtime_ns}-{st.st_size}")

    def open_read(self, uri: str) -> BinaryIO:
        try:
            return open(uri, "rb")
        except FileNotFoundError:
            raise StorageError(f"{uri}: no such file") from None

    def read_bytes(self, uri: str) -> bytes:
        with self.open_read(uri) as fh:
            return fh.read()

    def write_bytes(self, uri: str, data: bytes) -> None:
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(uri), prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, uri)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def upload_file(self, local_path: str, uri: str) -> None:
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
        tmp = f"{uri}.{os.getpid()}.tmp"
        shutil.copyfile(local_path, tmp)
        os.replace(tmp, uri)

    def download_file(self, uri: str, local_path: str) -> None:
        tmp = f"{local_path}.{os.getpid()}.tmp"
        shutil.copyfile(uri, tmp)
        os.replace(tmp, local_path)

    def delete(self, uri: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(uri)

    def put_if_absent(self, uri: str, data: bytes) -> bool:
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(uri, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        return True


class S3Storage:
    def __init__(self, config: Config) -> None:
        self._client = s3_client(config.s3)
        self._endpoint = config.s3.endpoint or "AWS S3"

    def _fail(self, uri: str, exc: Exception) -> StorageError:
        return StorageError(f"{uri}: S3 error at {self._endpoint}: {exc}")

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        bucket, key = split_uri(prefix)
        key = key.rstrip("/") + "/" if key else ""
        try:
            pages = self._client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key)
            for page in pages:
                for obj in page.get("Contents", []):
                    yield ObjectInfo(f"s3://{bucket}/{obj['Key']}", obj["Size"], obj["ETag"].strip('"'))
        except Exception as exc:  # botocore raises many types; all mean "cannot reach or read"
            if isinstance(exc, StorageError):
                raise
            raise self._fail(prefix, exc) from None

    def stat(self, uri: str) -> Optional[ObjectInfo]:
        from botocore.exceptions import ClientError

        bucket, key = split_uri(uri)
        try:
            head = self._client.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise self._fail(uri, exc) from None
        except Exception as exc:
            raise self._fail(uri, exc) from None
        return ObjectInfo(uri, head["ContentLength"], head["ETag"].strip('"'))

    def open_read(self, uri: str) -> BinaryIO:
        bucket, key = split_uri(uri)
        try:
            return self._client.get_object(Bucket=bucket, Key=key)["Body"]
        except Exception as exc:
            raise self._fail(uri, exc) from None

    def read_bytes(self, uri: str) -> bytes:
        body = self.open_read(uri)
        try:
            return body.read()
        finally:
            body.close()

    def write_bytes(self, uri: str, data: bytes) -> None:
        bucket, key = split_uri(uri)
        try:
            self._client.put_object(Bucket=bucket, Key=key, Body=data)
        except Exception as exc:
            raise self._fail(uri, exc) from None

    def upload_file(self, local_path: str, uri: str) -> None:
        bucket, key = split_uri(uri)
        try:
            self._client.upload_file(local_path, bucket, key)
        except Exception as exc:
            raise self._fail(uri, exc) from None

    def download_file(self, uri: str, local_path: str) -> None:
        bucket, key = split_uri(uri)
        tmp = f"{local_path}.{os.getpid()}.tmp"
        try:
            self._client.download_file(bucket, key, tmp)
        except Exception as exc:
            raise self._fail(uri, exc) from None
        os.replace(tmp, local_path)

    def delete(self, uri: str) -> None:
        bucket, key = split_uri(uri)
        try:
            self._client.delete_object(Bucket=bucket, Key=key)
        except Exception as exc:
            raise self._fail(uri, exc) from None

    def put_if_absent(self, uri: str, data: bytes) -> bool:
        from botocore.exceptions import ClientError

        bucket, key = split_uri(uri)
        try:
            self._client.put_object(Bucket=bucket, Key=key, Body=data, IfNoneMatch="*")
            return True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in (
                "PreconditionFailed",
                "ConditionalRequestConflict",
            ):
                return False
            raise self._fail(uri, exc) from None


def storage_for(uri: str, config: Config) -> LocalStorage | S3Storage:
    """The storage that serves `uri` (an s3:// URI or a local path)."""
    return S3Storage(config) if is_s3(uri) else LocalStorage()


def sha256_file(path: str, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            h.update(block)
    return h.hexdigest()
