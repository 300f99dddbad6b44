"""A lock so two runs never work on the warehouse at once, and a dead run never blocks for long.

The lock is an object next to the warehouse: ``(warehouse.persist_uri or warehouse.path) + ".lock"``
-- on S3 when the warehouse is persisted there (ephemeral ECS/Glue tasks), else a file on a local
disk or mounted volume. Its body (JSON) names the holder: token, purpose, host, boot id, pid and
the pid's start time, when it was taken and last renewed, when it expires.

* **Taking it** is one conditional create of the complete body (S3 ``If-None-Match: *``; locally a
  full temp file hard-linked to the name), so exactly one taker wins under any interleaving and
  nobody ever sees a half-written lock. A lock that cannot be read (empty, garbage) is never
  taken over: it counts as held, and the message says to delete it if no run is active.
* **Stale locks** are taken over with a compare-and-swap on the version that was judged stale
  (S3 ``If-Match: <etag>``; locally under an ``flock`` on ``<lock>.guard``), so of several takers
  exactly one wins. A lock is stale when its holder ran on this machine (same hostname, boot id
  and pid namespace) and its process is gone -- or its pid now belongs to a process started at
  another time -- (taken over at once: kill -9, SIGTERM, OOM); otherwise when it was not renewed
  before its ``expires_at`` (``renewed_at + warehouse.lock_ttl_seconds`` of the holder).
* **A live run keeps it**: a daemon thread renews it every ``lock_ttl_seconds / 5`` with a
  conditional write on the etag of its own last write. When it finds another holder's version,
  or cannot renew for longer than the TTL, the lock is *lost*: :meth:`WarehouseLock.check`
  raises :class:`LockLost` and the run must not persist anything.
* **Releasing** deletes only this run's version (retried once, unless S3 did not answer at all:
  that call was already retried ``s3.max_attempts`` times) and when the storage still fails
  logs one warning saying the lock will expire within ``lock_ttl_seconds``.

Every storage failure on the way is a one-line :class:`StorageError` (:class:`S3Unavailable`
when S3 does not answer) naming the lock URI and the endpoint.
"""

from __future__ import annotations

import json
import logging
import math
import os
import socket
import threading
import time
import uuid
from typing import Any, Optional

from lake.config import Config
from lake.errors import LockError, LockHeld, LockLost, S3Unavailable, StorageError
from lake.storage import storage_for

__all__ = ["LockError", "LockHeld", "LockLost", "WarehouseLock", "lock_uri"]

log = logging.getLogger(__name__)

#: how often a taker re-reads a lock that changed while it was judging it, before giving up
_TAKE_ROUNDS = 5
#: storage attempts of release() (each S3 call retries max_attempts times itself)
_RELEASE_ATTEMPTS = 2


def lock_uri(config: Config) -> str:
    return (config.warehouse.persist_uri or config.warehouse.path) + ".lock"


# ----------------------------------------------------------------------------- this machine


def _read_text(path: str) -> Optional[str]:
    try:
        with open(path, encoding="ascii") as fh:
            return fh.read().strip() or None
    except (OSError, ValueError):
        return None


def _boot_id() -> Optional[str]:
    """Changes at every boot: with the hostname it tells "this machine, since its last boot"."""
    return _read_text("/proc/sys/kernel/random/boot_id")


def _pid_namespace() -> Optional[str]:
    """Containers sharing a kernel (and maybe a hostname) have their own pid numbers."""
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return None


def _process_start(pid: int) -> tuple[bool, Optional[int]]:
    """(alive, start time in clock ticks since boot) of `pid` on this machine."""
    stat = _read_text(f"/proc/{pid}/stat")
    if stat is None:
        try:
            os.kill(pid, 0)  # /proc may hide other users' processes (hidepid)
        except ProcessLookupError:
            return False, None
        except PermissionError:
            return True, None
        except OSError:
            return True, None
        return True, None
    fields = stat[stat.rfind(")") + 2 :].split()  # the command name may hold spaces and parens
    try:
        state, start = fields[0], int(fields[19])
    except (IndexError, ValueError):
        return True, None
    return state not in ("Z", "X"), start  # a zombie is dead, only not reaped yet


def _utc(ts: Any) -> str:
    try:
        return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(float(ts)))
    except (TypeError, ValueError, OverflowError, OSError):
        return "?"


def _number(value: Any) -> Optional[float]:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _parse(data: bytes) -> tuple[Optional[dict[str, Any]], str]:
    """(the lock body, "") or (None, why it is not a readable lock)."""
    if not data.strip():
        return None, "it is empty"
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None, "it is not JSON"
    if not isinstance(body, dict) or not isinstance(body.get("token"), str) or not body["token"]:
        return None, "it names no holder token"
    renewed = _number(body.get("renewed_at", body.get("acquired_at")))
    if _number(body.get("expires_at")) is None and renewed is None:
        return None, "it has no expiry time"
    return body, ""


# ----------------------------------------------------------------------------- the lock


class WarehouseLock:
    """``with WarehouseLock(config, purpose="lakehouse models"): ...``

    :meth:`acquire` raises :class:`LockHeld` when another live run holds it. A long run calls
    :meth:`check` before it persists anything: it raises :class:`LockLost` when the lock was
    taken over or could not be renewed for longer than ``warehouse.lock_ttl_seconds``.
    """

    def __init__(self, config: Config, purpose: str = "daily job") -> None:
        self.config = config
        self.purpose = purpose
        self.uri = lock_uri(config)
        self.ttl = config.warehouse.lock_ttl_seconds
        self.storage = storage_for(self.uri, config)
        #: this holding's token (a new one at every acquire), None before the first
        self.token: Optional[str] = None
        self._held = False
        self._pid = 0
        self._etag: Optional[str] = None
        self._acquired_at = 0.0
        self._renewed_mono = 0.0  # time.monotonic() when the last successful renewal was written
        self._lost_reason: Optional[str] = None
        self._renew_failing = False
        self._mutex = threading.Lock()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    # ------------------------------------------------------------------ public API

    def acquire(self) -> WarehouseLock:
        """Take the lock (taking over a stale one) or raise :class:`LockHeld`; returns self."""
        if self._held and self._pid == os.getpid():
            raise LockError(f"warehouse lock {self.uri} is already held by this run")
        self.token = uuid.uuid4().hex
        self._pid = os.getpid()
        self._acquired_at = time.time()
        self._lost_reason = None
        self._renew_failing = False
        self._take()
        self._held = True
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._heartbeat, name=f"lock heartbeat {self.uri}", daemon=True
        )
        self._thread.start()
        return self

    def release(self) -> None:
        """Give the lock back. Idempotent; never raises for a storage failure (one warning instead)."""
        if not self._held or self._pid != os.getpid():  # not held, or a forked child's copy
            return
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        self._thread = None
        with self._mutex:
            self._held = False
            if self._etag is None:  # the heartbeat saw it taken over or deleted
                log.warning("warehouse lock %s was not deleted: %s", self.uri, self._lost_reason)
                return
            self._delete_own()  # a conditional delete: safe even when renewing had failed

    def check(self) -> None:
        """Raise :class:`LockLost` when this run no longer safely holds the lock."""
        if not self._held:
            raise LockError(f"warehouse lock {self.uri} is not held by this run")
        reason = self._loss()
        if reason is not None:
            raise LockLost(
                f"warehouse lock {self.uri} was lost: {reason}; this run must not persist the warehouse"
            )

    @property
    def lost(self) -> bool:
        return self._held and self._loss() is not None

    def __enter__(self) -> WarehouseLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()

    # ------------------------------------------------------------------ taking

    def _body(self) -> bytes:
        now = time.time()
        alive, start = _process_start(os.getpid())
        return json.dumps(
            {
                "token": self.token,
                "purpose": self.purpose,
                "host": socket.gethostname(),
                "boot_id": _boot_id(),
                "pid_namespace": _pid_namespace(),
                "pid": os.getpid(),
                "pid_start": start if alive else None,
                "acquired_at": self._acquired_at,
                "renewed_at": now,
                "expires_at": now + self.ttl,
                "ttl_seconds": self.ttl,
            },
            sort_keys=True,
        ).encode()

    def _take(self) -> None:
        for _round in range(_TAKE_ROUNDS):
            self._renewed_mono = time.monotonic()
            etag = self.storage.put_if_absent(self.uri, self._body())
            if etag is not None:
                self._etag = etag
                return
            current = self.storage.read_versioned(self.uri)
            if current is None:
                continue  # released in between: try to create it again
            data, etag = current
            held, why = _parse(data)
            if held is None:
                raise LockHeld(
                    f"warehouse lock {self.uri} exists but is not a readable lock ({why}), so it counts "
                    f"as held; if no run is active, delete {self.uri}"
                )
            if held["token"] == self.token:  # our create landed, but its answer was lost (retry)
                self._etag = etag
                return
            stale = self._stale_reason(held)
            if stale is None:
                raise LockHeld(self._held_message(held))
            self._renewed_mono = time.monotonic()
            new = self.storage.put_if_match(self.uri, self._body(), etag)
            if new is not None:
                log.warning("took over the stale warehouse lock %s: %s", self.uri, stale)
                self._etag = new
                return
            # another taker changed it first: judge the new version
        raise LockHeld(
            f"warehouse lock {self.uri} kept changing hands while this run tried to take it: "
            "other runs are starting at the same time; try again later"
        )

    def _same_machine(self, held: dict[str, Any]) -> bool:
        mine = _boot_id()
        if mine is None or held.get("boot_id") != mine or held.get("host") != socket.gethostname():
            return False
        ns = _pid_namespace()
        return held.get("pid_namespace") is None or ns is None or held["pid_namespace"] == ns

    def _stale_reason(self, held: dict[str, Any]) -> Optional[str]:
        """Why the lock `held` belongs to a dead run, or None while its holder may be alive."""
        pid = held.get("pid")
        if isinstance(pid, int) and not isinstance(pid, bool) and pid > 0 and self._same_machine(held):
            alive, start = _process_start(pid)
            if not alive:
                return f"its process {pid} on this host ({held.get('host')}) is gone"
            recorded = held.get("pid_start")
            if isinstance(recorded, int) and start is not None and start != recorded:
                return f"its process {pid} on this host has ended (the pid is now another process's)"
        expires = _number(held.get("expires_at"))
        if expires is None:
            expires = (_number(held.get("renewed_at", held.get("acquired_at"))) or 0.0) + self.ttl
        if time.time() > expires:
            renewed = held.get("renewed_at", held.get("acquired_at"))
            who = f"{held.get('purpose', '?')} on {held.get('host', '?')}"
            return f"held by {who}, not renewed since {_utc(renewed)}"
        return None

    def _held_message(self, held: dict[str, Any]) -> str:
        renewed = _number(held.get("renewed_at", held.get("acquired_at")))
        ago = f", renewed {max(0, time.time() - renewed):.0f} s ago" if renewed is not None else ""
        here = " (its process is running on this host)" if self._same_machine(held) else ""
        return (
            f"warehouse lock {self.uri} is held by {held.get('purpose', '?')} on {held.get('host', '?')} "
            f"(pid {held.get('pid', '?')}){here} since {_utc(held.get('acquired_at'))}{ago}; it expires at "
            f"{_utc(held.get('expires_at'))} unless that run renews it. Wait for it to finish; if that run "
            f"is certainly dead, delete {self.uri}"
        )

    # ------------------------------------------------------------------ keeping

    def _loss(self) -> Optional[str]:
        if self._lost_reason is not None:
            return self._lost_reason
        age = time.monotonic() - self._renewed_mono
        if age > self.ttl:
            return f"not renewed for {age:.0f} s (warehouse.lock_ttl_seconds = {self.ttl})"
        return None

    def _heartbeat(self) -> None:
        interval = self.ttl / 5
        while not self._stop.wait(interval):
            with self._mutex:
                if self._stop.is_set() or self._lost_reason is not None:
                    return
                try:
                    self._renew()
                except Exception as exc:  # a storage failure, or anything else: never kill the run
                    self._renew_failed(exc)
                if self._lost_reason is not None:
                    log.warning("warehouse lock %s lost: %s", self.uri, self._lost_reason)
                    return

    def _renew(self) -> None:
        assert self._etag is not None
        started = time.monotonic()
        new = self.storage.put_if_match(self.uri, self._body(), self._etag)
        if new is None:
            current = self.storage.read_versioned(self.uri)
            held = _parse(current[0])[0] if current is not None else None
            if current is None or held is None or held.get("token") != self.token:
                self._lost_reason = (
                    "it was deleted" if current is None else f"it was taken over ({self._describe(held)})"
                )
                self._etag = None
                return
            new = current[1]  # our write landed, but its answer was lost (retry)
        self._etag = new
        self._renewed_mono = started
        if self._renew_failing:
            log.info("warehouse lock %s renewed again", self.uri)
            self._renew_failing = False

    def _renew_failed(self, exc: Exception) -> None:
        age = time.monotonic() - self._renewed_mono
        if age > self.ttl:
            self._lost_reason = (
                f"it could not be renewed for {age:.0f} s (warehouse.lock_ttl_seconds = {self.ttl}): {exc}"
            )
        elif not self._renew_failing:
            self._renew_failing = True
            log.warning(
                "could not renew the warehouse lock %s (will retry; lost after %d s without renewal): %s",
                self.uri,
                self.ttl,
                exc if isinstance(exc, StorageError) else f"{type(exc).__name__}: {exc}",
            )

    @staticmethod
    def _describe(held: Optional[dict[str, Any]]) -> str:
        if held is None:
            return "by an unreadable lock"
        return f"by {held.get('purpose', '?')} on {held.get('host', '?')}, pid {held.get('pid', '?')}"

    # ------------------------------------------------------------------ releasing

    def _delete_own(self) -> None:
        problem: Optional[str] = None
        for attempt in range(_RELEASE_ATTEMPTS):
            if attempt:
                time.sleep(0.5)
            try:
                assert self._etag is not None
                if self.storage.delete_if_match(self.uri, self._etag):
                    return
                current = self.storage.read_versioned(self.uri)
                if current is None:
                    return
                held = _parse(current[0])[0]
                if held is None or held.get("token") != self.token:
                    log.warning(
                        "warehouse lock %s was not deleted: it was taken over (%s)",
                        self.uri,
                        self._describe(held),
                    )
                    return
                self._etag = current[1]  # our last renewal landed after all: delete that version
            except S3Unavailable as exc:  # botocore already retried it max_attempts times
                problem = str(exc)
                break
            except StorageError as exc:
                problem = str(exc)
            except Exception as exc:  # never a traceback from release()
                problem = f"{type(exc).__name__}: {exc}"
        log.warning(
            "could not release the warehouse lock %s (%s); it will expire within %d s "
            "(warehouse.lock_ttl_seconds), or at once for the next run on this host",
            self.uri,
            problem or "its version kept changing",
            self.ttl,
        )
