"""One small file API over a local folder and S3, so every caller serves both.

Writes are atomic for readers: locally a temp file in the same folder is `os.replace`d
into place; on S3 a single PUT (or multipart upload) only becomes visible when complete.

Conditional writes (the warehouse lock, the persisted warehouse's "current version" pointer):

* `put_if_absent(uri, data)` creates the object with its full content or not at all and returns
  its etag (None when it exists): S3 `If-None-Match: *`; locally a complete temp file is
  hard-linked to the name (`link` fails when the name exists), so nobody ever sees it empty.
* `put_if_match(uri, data, etag)` replaces the object only if it is still the version `etag`
  and returns the new etag (None when the precondition failed): S3 `If-Match`; locally a
  compare-and-swap under an `flock` on the guard file `<uri>.guard` next to it.
* `read_versioned(uri)` returns the content and the etag of the same version;
  `delete_if_match(uri, etag)` deletes only that version.

A local etag is `<mtime_ns>-<size>`; conditional writes give each version a distinct mtime.
Every S3 failure is a one-line :class:`StorageError` naming the URI and the endpoint; a
connection or timeout failure is its subclass :class:`S3Unavailable`.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Optional

from lake.config import Config
from lake.errors import S3Unavailable, StorageError
from lake.s3 import client as s3_client
from lake.s3 import endpoint_name, is_s3, split_uri, unavailable_reason

#: S3 error codes of a conditional request whose precondition did not hold
_PRECONDITION = ("PreconditionFailed", "ConditionalRequestConflict", "412", "409")
_NOT_FOUND = ("404", "NoSuchKey", "NotFound")


@dataclass(frozen=True)
class ObjectInfo:
    uri: str
    size: int
    #: S3 ETag, or "<mtime_ns>-<size>" for a local file: changes when the content is replaced
    etag: str


def _local_etag(st: os.stat_result) -> str:
    return f"{st.st_mtime_ns}-{st.st_size}"


def _oneline(text: object) -> str:
    return " ".join(str(text).split())


def _local_fail(uri: str, action: str, exc: OSError) -> StorageError:
    return StorageError(f"{action} {uri} failed: {exc.strerror or _oneline(exc)}")


def _fsync_dir(path: str) -> None:
    with contextlib.suppress(OSError):  # not every file system lets a folder be fsynced
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


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
        return ObjectInfo(uri, st.st_size, _local_etag(st))

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

    # ------------------------------------------------------------------ conditional writes

    @contextlib.contextmanager
    def _guard(self, uri: str) -> Iterator[None]:
        """Exclusive `flock` on `<uri>.guard` (never deleted, so every taker locks the same inode)."""
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(f"{uri}.guard", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the flock

    def _complete_tmp(self, uri: str, data: bytes, previous_mtime_ns: int = -1) -> str:
        """A temp file next to `uri` holding all of `data`, with an mtime unlike the previous version's.

        The file system's clock ticks coarsely (a jiffy), so two quick writes of the same size
        could share `<mtime_ns>-<size>`; setting the mtime from the fine clock keeps etags distinct.
        """
        folder = os.path.dirname(uri) or "."
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(uri)}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            stamp = max(time.time_ns(), previous_mtime_ns + 1)
            for bump in (0, 1_000, 1_000_000, 1_000_000_000, 2_000_000_000):  # coarse file systems
                os.utime(tmp, ns=(stamp + bump, stamp + bump))
                if os.stat(tmp).st_mtime_ns != previous_mtime_ns:
                    break
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return tmp

    def read_versioned(self, uri: str) -> Optional[tuple[bytes, str]]:
        """The content of `uri` and the etag of that very version, or None when it does not exist."""
        try:
            with open(uri, "rb") as fh:
                st = os.fstat(fh.fileno())  # versions are replaced, never rewritten in place
                return fh.read(), _local_etag(st)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise _local_fail(uri, "reading", exc) from None

    def put_if_absent(self, uri: str, data: bytes) -> Optional[str]:
        """Create `uri` holding `data` unless it exists; the new etag, or None when it existed."""
        try:
            Path(uri).parent.mkdir(parents=True, exist_ok=True)
            tmp = self._complete_tmp(uri, data)
            try:
                try:
                    os.link(tmp, uri)  # atomic, and fails when the name exists
                except FileExistsError:
                    return None
                except OSError as exc:
                    if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
                        raise
                    return self._create_exclusive(uri, data)  # a file system without hard links
                etag = _local_etag(os.stat(tmp))  # the same inode as `uri` now
                _fsync_dir(os.path.dirname(uri) or ".")
                return etag
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
        except OSError as exc:
            raise _local_fail(uri, "creating", exc) from None

    @staticmethod
    def _create_exclusive(uri: str, data: bytes) -> Optional[str]:
        """O_EXCL create then write: readers may briefly see it empty (the lock treats that as held)."""
        try:
            fd = os.open(uri, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return None
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
            return _local_etag(os.fstat(fh.fileno()))

    def put_if_match(self, uri: str, data: bytes, etag: str) -> Optional[str]:
        """Replace `uri` with `data` only if it is still version `etag`; the new etag, or None."""
        try:
            with self._guard(uri):
                try:
                    st = os.stat(uri)
                except FileNotFoundError:
                    return None
                if _local_etag(st) != etag:
                    return None
                tmp = self._complete_tmp(uri, data, st.st_mtime_ns)
                try:
                    new = _local_etag(os.stat(tmp))
                    os.replace(tmp, uri)
                except BaseException:
                    with contextlib.suppress(OSError):
                        os.unlink(tmp)
                    raise
                _fsync_dir(os.path.dirname(uri) or ".")
                return new
        except OSError as exc:
            raise _local_fail(uri, "replacing", exc) from None

    def delete_if_match(self, uri: str, etag: str) -> bool:
        """Delete `uri` only if it is version `etag`; False when another version is there.

        True also when it is already gone.
        """
        try:
            with self._guard(uri):
                try:
                    st = os.stat(uri)
                except FileNotFoundError:
                    return True
                if _local_etag(st) != etag:
                    return False
                os.unlink(uri)
                return True
        except OSError as exc:
            raise _local_fail(uri, "deleting", exc) from None


def _client_error_code(exc: BaseException) -> Optional[str]:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return None
    return str(
        response.get("Error", {}).get("Code") or response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    )


class S3Storage:
    def __init__(self, config: Config) -> None:
        self._s3 = config.s3
        self._client = s3_client(config.s3)
        self._endpoint = endpoint_name(config.s3)

    def _fail(self, uri: str, exc: BaseException, action: str = "accessing") -> StorageError:
        """One line naming the endpoint, the URI and what went wrong (S3Unavailable: no answer)."""
        if isinstance(exc, StorageError):
            return exc
        reason = unavailable_reason(exc, self._s3)
        if reason is not None:
            return S3Unavailable(f"S3 at {self._endpoint} {reason} while {action} {uri}")
        response = getattr(exc, "response", None)
        if isinstance(response, dict):
            err = response.get("Error", {})
            status = response.get("ResponseMetadata", {}).get("HTTPStatusCode", "?")
            code = err.get("Code", "?")
            message = _oneline(err.get("Message") or "")
            detail = f"{code} (HTTP {status})" + (f": {message}" if message else "")
            return StorageError(f"S3 at {self._endpoint} refused {action} {uri}: {detail}")
        return StorageError(
            f"S3 at {self._endpoint}: {action} {uri} failed: {type(exc).__name__}: {_oneline(exc)}"
        )

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        bucket, key = split_uri(prefix)
        key = key.rstrip("/") + "/" if key else ""
        try:
            pages = self._client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key)
            for page in pages:
                for obj in page.get("Contents", []):
                    yield ObjectInfo(f"s3://{bucket}/{obj['Key']}", obj["Size"], obj["ETag"].strip('"'))
        except Exception as exc:  # botocore raises many types; all mean "cannot reach or read"
            raise self._fail(prefix, exc, "listing") from None

    def stat(self, uri: str) -> Optional[ObjectInfo]:
        bucket, key = split_uri(uri)
        try:
            head = self._client.head_object(Bucket=bucket, Key=key)
        except Exception as exc:
            if _client_error_code(exc) in _NOT_FOUND:
                return None
            raise self._fail(uri, exc, "checking") from None
        return ObjectInfo(uri, head["ContentLength"], head["ETag"].strip('"'))

    def open_read(self, uri: str) -> BinaryIO:
        bucket, key = split_uri(uri)
        try:
            return self._client.get_object(Bucket=bucket, Key=key)["Body"]
        except Exception as exc:
            if _client_error_code(exc) in _NOT_FOUND:
                raise StorageError(f"{uri}: no such object (S3 at {self._endpoint})") from None
            raise self._fail(uri, exc, "reading") from None

    def read_bytes(self, uri: str) -> bytes:
        body = self.open_read(uri)
        try:
            return body.read()
        except Exception as exc:
            raise self._fail(uri, exc, "reading") from None
        finally:
            body.close()

    def write_bytes(self, uri: str, data: bytes) -> None:
        bucket, key = split_uri(uri)
        try:
            self._client.put_object(Bucket=bucket, Key=key, Body=data)
        except Exception as exc:
            raise self._fail(uri, exc, "writing") from None

    def upload_file(self, local_path: str, uri: str) -> None:
        bucket, key = split_uri(uri)
        try:
            self._client.upload_file(local_path, bucket, key)
        except Exception as exc:
            raise self._fail(uri, exc, "uploading to") from None

    def download_file(self, uri: str, local_path: str) -> None:
        from boto3.s3.transfer import TransferConfig

        bucket, key = split_uri(uri)
        tmp = f"{local_path}.{os.getpid()}.tmp"
        # one transfer attempt: each request already retries max_attempts times, which bounds the wait
        transfer = TransferConfig(num_download_attempts=1)
        try:
            self._client.download_file(bucket, key, tmp, Config=transfer)
        except Exception as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise self._fail(uri, exc, "downloading") from None
        os.replace(tmp, local_path)

    def delete(self, uri: str) -> None:
        bucket, key = split_uri(uri)
        try:
            self._client.delete_object(Bucket=bucket, Key=key)
        except Exception as exc:
            raise self._fail(uri, exc, "deleting") from None

    # ------------------------------------------------------------------ conditional writes

    def read_versioned(self, uri: str) -> Optional[tuple[bytes, str]]:
        """The content of `uri` and the etag of that very version, or None when it does not exist."""
        bucket, key = split_uri(uri)
        try:
            obj = self._client.get_object(Bucket=bucket, Key=key)
            try:
                data = obj["Body"].read()
            finally:
                obj["Body"].close()
        except Exception as exc:
            if _client_error_code(exc) in _NOT_FOUND:
                return None
            raise self._fail(uri, exc, "reading") from None
        return data, obj["ETag"].strip('"')

    def _put(self, uri: str, data: bytes, action: str, **condition: Any) -> Optional[str]:
        bucket, key = split_uri(uri)
        try:
            put = self._client.put_object(Bucket=bucket, Key=key, Body=data, **condition)
        except Exception as exc:
            if _client_error_code(exc) in _PRECONDITION + _NOT_FOUND:
                return None
            raise self._fail(uri, exc, action) from None
        return str(put["ETag"]).strip('"')

    def put_if_absent(self, uri: str, data: bytes) -> Optional[str]:
        """Create `uri` holding `data` unless it exists (`If-None-Match: *`); the etag, or None."""
        return self._put(uri, data, "creating", IfNoneMatch="*")

    def put_if_match(self, uri: str, data: bytes, etag: str) -> Optional[str]:
        """Replace `uri` only if it is still version `etag` (`If-Match`); the new etag, or None.

        A 409 ConditionalRequestConflict (another conditional write in flight) also gives None.
        """
        return self._put(uri, data, "replacing", IfMatch=f'"{etag}"')

    def delete_if_match(self, uri: str, etag: str) -> bool:
        """Delete `uri` only if it is version `etag`; False when another version is there.

        True also when it is already gone. Where S3 does not implement a conditional delete,
        the version is checked first and the object then deleted.
        """
        bucket, key = split_uri(uri)
        try:
            self._client.delete_object(Bucket=bucket, Key=key, IfMatch=f'"{etag}"')
            return True
        except Exception as exc:
            code = _client_error_code(exc)
            if code in _NOT_FOUND:
                return True
            if code in _PRECONDITION:  # another version, or (some servers) none at all
                return self.stat(uri) is None
            if code not in ("NotImplemented", "501"):
                raise self._fail(uri, exc, "deleting") from None
        info = self.stat(uri)
        if info is None:
            return True
        if info.etag != etag:
            return False
        self.delete(uri)
        return True


def storage_for(uri: str, config: Config) -> LocalStorage | S3Storage:
    """The storage that serves `uri` (an s3:// URI or a local path)."""
    return S3Storage(config) if is_s3(uri) else LocalStorage()


def sha256_file(path: str, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            h.update(block)
    return h.hexdigest()
