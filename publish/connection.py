"""MySQL connections done properly: credentials, TLS, retries, clear errors, no leaked password.

:class:`MySQLSession` owns one pymysql connection and runs each publish step through
:meth:`MySQLSession.run`, which retries the *whole step* with exponential backoff when the
error is transient (connection lost, server gone, deadlock, lock wait timeout): every step is
written to be safe to run again. A step that is a transaction (the publish itself) restarts
from its BEGIN on the fresh connection: the server rolled the old one back when its
connection went away. Other errors become a :class:`PublishError` that names
host:port, the user and what was being done -- an unreachable server, a rejected login and a
missing privilege each get their own message. Every message passes through :func:`redact`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import ssl
import time
from collections.abc import Iterable
from typing import Any, Callable, Optional, TypeVar, Union

import pymysql

from lake.config import Config
from lake.errors import PublishError
from publish.credentials import MySQLTarget, resolve_target

log = logging.getLogger(__name__)
T = TypeVar("T")

#: errors worth retrying: can't connect, server gone / connection lost or killed, shutdown in
#: progress, lock wait timeout, deadlock
TRANSIENT = {2002, 2003, 2006, 2013, 2055, 1927, 1053, 1205, 1213, 0}
ACCESS_DENIED = {1045, 1698}
PRIVILEGE = {1044, 1142, 1143, 1227, 1370, 1211, 1410}
#: LOAD DATA LOCAL refused by the server or the client
LOCAL_INFILE_DISABLED = {1148, 3948, 2068, 4166}

#: first backoff delay; doubles per attempt, capped (tests shorten it)
BACKOFF_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 30.0
#: row-lock and metadata-lock waits of our statements; a wait beyond it is retried with backoff
LOCK_WAIT_TIMEOUT_SECONDS = 30
#: a statement that answers nothing for this long is treated as a lost connection
READ_TIMEOUT_SECONDS = 1800

_RETRYABLE_CLASSES = (pymysql.err.OperationalError, pymysql.err.InterfaceError, pymysql.err.InternalError)

#: a known session sql_mode on both MySQL 8 and MariaDB (no ANSI_QUOTES, no NO_BACKSLASH_ESCAPES)
SQL_MODE = "STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"


def error_code(exc: BaseException) -> int:
    args = getattr(exc, "args", ())
    if args and isinstance(args[0], int):
        return args[0]
    return -1


def error_text(exc: BaseException) -> str:
    args = getattr(exc, "args", ())
    if len(args) >= 2 and isinstance(args[0], int):
        return " ".join(str(args[1]).split())
    return " ".join(str(exc).split()) or exc.__class__.__name__


def _is_tls_failure(exc: BaseException) -> bool:
    """A certificate/handshake failure: retrying cannot help."""
    text = error_text(exc)
    return error_code(exc) in (2002, 2003) and ("SSL" in text or "CERTIFICATE" in text.upper())


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret replaced by ***, a last guard on messages and logs."""
    for secret in secrets:
        if secret and len(secret) >= 3:
            text = text.replace(secret, "***")
    return text


def ssl_context(config: Config) -> Optional[ssl.SSLContext]:
    """The TLS context for `mysql.tls` (None = not configured: the driver's opportunistic TLS).

    The server certificate is always verified against `tls.ca` (or the system CAs); the host
    name is checked against it when `tls.verify_identity` is true.
    """
    tls = config.mysql.tls
    if not tls.enabled:
        return None
    if tls.ca and not os.path.isfile(tls.ca):
        raise PublishError(f"mysql.tls.ca: CA bundle not found: {tls.ca}")
    try:
        ctx = ssl.create_default_context(cafile=tls.ca or None)
    except (ssl.SSLError, OSError) as exc:
        raise PublishError(f"mysql.tls.ca: cannot load CA bundle {tls.ca}: {exc}") from None
    ctx.check_hostname = bool(tls.verify_identity)
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


class MySQLSession:
    """One connection, re-opened as needed, with retried steps and translated errors."""

    def __init__(
        self,
        config: Config,
        target: Optional[MySQLTarget] = None,
        on_connect: Optional[Callable[[Any], None]] = None,
        retries: Optional[int] = None,
    ) -> None:
        self.config = config
        self.target = target or resolve_target(config)
        self.retries = config.mysql.retries if retries is None else retries
        self.on_connect = on_connect
        self.conn: Optional[Any] = None
        self._ssl = ssl_context(config)

    # ------------------------------------------------------------------ connection

    def _open(self) -> Any:
        t = self.target
        try:
            conn = pymysql.connect(
                host=t.host,
                port=t.port,
                user=t.user,
                password=t.password,
                charset="utf8mb4",
                autocommit=True,
                local_infile=True,
                connect_timeout=self.config.mysql.connect_timeout,
                read_timeout=READ_TIMEOUT_SECONDS,
                write_timeout=READ_TIMEOUT_SECONDS,
                ssl=self._ssl,
            )
        except ssl.SSLError as exc:
            text = f"TLS handshake with MySQL at {t.address} failed: {exc}"
            raise PublishError(self._redact(text)) from None
        try:
            with conn.cursor() as cur:
                cur.execute(
                    "SET SESSION sql_mode = %s, time_zone = '+00:00', "
                    "innodb_lock_wait_timeout = %s, lock_wait_timeout = %s",
                    (SQL_MODE, LOCK_WAIT_TIMEOUT_SECONDS, LOCK_WAIT_TIMEOUT_SECONDS),
                )
            if self.on_connect is not None:
                self.on_connect(conn)
        except BaseException:
            conn.close()
            raise
        log.debug("connected to MySQL at %s as %s (credentials from %s)", t.address, t.user, t.origin)
        return conn

    def connection(self) -> Any:
        """The open connection, connecting (with retries) when there is none."""
        return self.run("connect", lambda conn: conn)

    def drop(self) -> None:
        """Close the connection without waiting on the server (its transaction rolls back)."""
        if self.conn is not None:
            with contextlib.suppress(Exception):
                self.conn.close()
            self.conn = None

    close = drop

    # ------------------------------------------------------------------ retries

    def run(self, what: Union[str, Callable[[], str]], step: Callable[[Any], T]) -> T:
        """Run `step(connection)`, re-running it on a fresh connection after a transient error.

        `what` names the step in messages; a callable is asked when the error happens, so a
        long step can say which part of it failed.
        """
        attempts = self.retries + 1
        for attempt in range(attempts):
            try:
                if self.conn is None:
                    self.conn = self._open()
                return step(self.conn)
            except _RETRYABLE_CLASSES as exc:
                doing = what() if callable(what) else what
                code = error_code(exc)
                if code in TRANSIENT and not _is_tls_failure(exc) and attempt < attempts - 1:
                    delay = min(BACKOFF_CAP_SECONDS, BACKOFF_SECONDS * (2**attempt))
                    log.warning(
                        "%s: transient MySQL error %s at %s (%s); retry %d/%d in %.1fs",
                        doing, code, self.target.address, self._redact(error_text(exc)),
                        attempt + 1, self.retries, delay,
                    )  # fmt: skip
                    self.drop()
                    time.sleep(delay)
                    continue
                self.drop()
                raise self.translate(exc, doing, attempt + 1) from None
            except pymysql.err.MySQLError as exc:
                raise self.translate(exc, what() if callable(what) else what, attempt + 1) from None
        raise AssertionError("unreachable")  # pragma: no cover

    # ------------------------------------------------------------------ errors

    def _redact(self, text: str) -> str:
        return redact(text, [self.target.password])

    def translate(self, exc: BaseException, what: str, attempts: int = 1) -> PublishError:
        t = self.target
        code = error_code(exc)
        msg = error_text(exc)
        if _is_tls_failure(exc):
            text = f"TLS connection to MySQL at {t.address} failed (mysql.tls): {msg}"
        elif code in (2002, 2003):
            text = f"cannot reach MySQL at {t.address} after {attempts} attempt(s): {msg}"
        elif code in ACCESS_DENIED:
            text = f"MySQL at {t.address} rejected user '{t.user}' (credentials from {t.origin}): {msg}"
        elif code in PRIVILEGE:
            dbs = sorted({*self.config.mysql.databases.values(), self.config.mysql.log_database})
            text = (
                f"MySQL user '{t.user}' at {t.address} lacks a privilege while {what}: {msg} "
                f"(publish needs SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER on {', '.join(dbs)})"
            )
        elif code in TRANSIENT:
            text = f"MySQL at {t.address} kept failing while {what} ({attempts} tries): error {code}: {msg}"
        else:
            text = f"MySQL error {code} at {t.address} while {what}: {msg}"
        return PublishError(self._redact(text))


def connect_mysql(config: Config) -> Any:
    """A ready pymysql connection for ad hoc use (the demo's SELECT); the caller closes it."""
    return MySQLSession(config).connection()
