"""A small HTTP proxy in front of a real S3 server, for fault injection in tests.

    with S3Proxy(s3_server.endpoint) as proxy:
        config = ...s3.endpoint = proxy.endpoint...
        proxy.fail_puts(matching="/_manifest/", status=500, count=1)  # the next such PUT fails
        proxy.hang()                                                   # nothing answers any more
        proxy.pass_through()                                           # back to normal

Each request from the client (botocore keeps HTTP/1.1 connections alive) is read whole --
request line, headers, a Content-Length or chunked body -- and, unless a fault applies,
sent to the upstream server over a fresh connection; its response is relayed back.
`Expect: 100-continue` is answered by the proxy itself. Request bytes are relayed unchanged
(minus `Expect`), so SigV4 signatures stay valid.
"""

from __future__ import annotations

import contextlib
import http.client
import select
import socket
import threading
from typing import Optional
from urllib.parse import urlparse

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection"}


class _Closed(Exception):
    """The client closed its connection."""


class S3Proxy:
    """A threaded proxy on 127.0.0.1; :attr:`endpoint` is its URL. Modes apply to new requests."""

    def __init__(self, upstream: str) -> None:
        parsed = urlparse(upstream)
        self.upstream_host = parsed.hostname or "127.0.0.1"
        self.upstream_port = parsed.port or 80
        self._mode = "pass"
        self._match = ""
        self._status = 500
        self._count: Optional[int] = None
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._clients: set[socket.socket] = set()
        self._server: Optional[socket.socket] = None
        self._thread: Optional[threading.Thread] = None
        self.port = 0
        #: (method, path) of every request received, in order
        self.requests: list[tuple[str, str]] = []
        #: how many PUTs were answered with an injected error
        self.failed = 0

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ------------------------------------------------------------------ modes

    def pass_through(self) -> None:
        with self._lock:
            self._mode = "pass"

    def fail_puts(self, matching: str = "", status: int = 500, count: Optional[int] = None) -> None:
        """Answer PUTs whose path contains `matching` with an S3 XML error (`count` times, None = all)."""
        with self._lock:
            self._mode, self._match, self._status, self._count = "fail_puts", matching, status, count

    def hang(self) -> None:
        """Accept connections and requests, and never answer."""
        with self._lock:
            self._mode = "hang"

    # ------------------------------------------------------------------ life cycle

    def start(self) -> S3Proxy:
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 0))
        server.listen(256)
        self._server = server
        self.port = server.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, name="s3proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._server is not None:
            self._server.close()
        with self._lock:
            clients = list(self._clients)
        for conn in clients:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    def __enter__(self) -> S3Proxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ serving

    def _accept(self) -> None:
        assert self._server is not None
        self._server.settimeout(0.1)  # so that stop() is noticed
        while not self._stopped.is_set():
            try:
                conn, _addr = self._server.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            conn.settimeout(None)
            with self._lock:
                self._clients.add(conn)
            threading.Thread(target=self._serve, args=(conn,), name="s3proxy conn", daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        rfile = conn.makefile("rb")
        try:
            while not self._stopped.is_set():
                try:
                    request = self._read_request(rfile, conn)
                except _Closed:
                    return
                method, path, headers, raw_head, body = request
                with self._lock:
                    self.requests.append((method, path))
                    mode = self._mode
                    fail = mode == "fail_puts" and method == "PUT" and self._match in path
                    if fail and self._count is not None:
                        fail = self._count > 0
                        self._count -= 1 if fail else 0
                    if fail:
                        self.failed += 1
                if mode == "hang":
                    self._hold(conn)
                    return
                if fail:
                    conn.sendall(self._error(path))
                else:
                    conn.sendall(self._forward(method, path, raw_head, body))
                if headers.get("connection", "").lower() == "close":
                    return
        except OSError:
            return
        finally:
            with self._lock:
                self._clients.discard(conn)
            rfile.close()
            conn.close()

    @staticmethod
    def _read_request(rfile, conn: socket.socket):  # type: ignore[no-untyped-def]
        line = rfile.readline(65537)
        while line in (b"\r\n", b"\n"):
            line = rfile.readline(65537)
        if not line:
            raise _Closed()
        method, path, _version = line.decode("latin-1").split(" ", 2)
        raw_head: list[tuple[str, str]] = []
        headers: dict[str, str] = {}
        while True:
            h = rfile.readline(65537)
            if h in (b"\r\n", b"\n", b""):
                break
            name, _, value = h.decode("latin-1").partition(":")
            raw_head.append((name.strip(), value.strip()))
            headers[name.strip().lower()] = value.strip()
        if headers.get("expect", "").lower() == "100-continue":
            conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = b""
        if headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size_line = rfile.readline(65537)
                parts.append(size_line)
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while True:  # trailers up to the blank line
                        t = rfile.readline(65537)
                        parts.append(t)
                        if t in (b"\r\n", b"\n", b""):
                            break
                    break
                parts.append(rfile.read(size + 2))
            body = b"".join(parts)
        elif "content-length" in headers:
            body = rfile.read(int(headers["content-length"]))
        raw_head = [(k, v) for k, v in raw_head if k.lower() != "expect"]
        return method, path, headers, raw_head, body

    def _forward(self, method: str, path: str, raw_head: list[tuple[str, str]], body: bytes) -> bytes:
        up = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=60)
        try:
            up.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            for name, value in raw_head:
                up.putheader(name, value)
            up.endheaders(body if body else None)
            resp = up.getresponse()
            data = resp.read()
            out = [f"HTTP/1.1 {resp.status} {resp.reason}\r\n".encode("latin-1")]
            for name, value in resp.getheaders():
                if name.lower() not in _HOP_BY_HOP:
                    out.append(f"{name}: {value}\r\n".encode("latin-1"))
            if method == "HEAD":
                length = resp.getheader("Content-Length")
                if length is not None:
                    out.append(f"Content-Length: {length}\r\n".encode())
            else:
                out.append(f"Content-Length: {len(data)}\r\n".encode())
            out.append(b"\r\n")
            return b"".join(out) + (b"" if method == "HEAD" else data)
        finally:
            up.close()

    def _error(self, path: str) -> bytes:
        code = {500: "InternalError", 503: "SlowDown", 403: "AccessDenied"}.get(self._status, "InternalError")
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{code}</Code><Message>injected by tests/s3proxy.py</Message>"
            f"<Resource>{path}</Resource><RequestId>s3proxy</RequestId></Error>"
        ).encode()
        head = (
            f"HTTP/1.1 {self._status} {http.client.responses.get(self._status, 'Error')}\r\n"
            "Content-Type: application/xml\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        return head + body

    def _hold(self, conn: socket.socket) -> None:
        """Never answer; return when the client gives up (closes) or the proxy stops."""
        while not self._stopped.is_set():
            readable, _, _ = select.select([conn], [], [], 0.2)
            if readable:
                try:
                    if not conn.recv(65536):
                        return
                except OSError:
                    return
