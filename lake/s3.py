"""S3 access from the one configuration: boto3 clients and the matching DuckDB secret.

Credentials are never in `config.yaml`: boto3's credential chain finds them (environment,
shared profile, ECS task role, EC2 instance profile). DuckDB gets the same resolved
credentials as a temporary secret, so it needs no `aws` extension and no network install.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any, Optional
from urllib.parse import urlparse

from lake.config import Config, S3Config


def split_uri(uri: str) -> tuple[str, str]:
    """s3://bucket/some/key -> ("bucket", "some/key")."""
    parsed = urlparse(uri)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ValueError(f"not an s3:// URI: {uri!r}")
    return parsed.netloc, parsed.path.lstrip("/")


def is_s3(uri: str) -> bool:
    return uri.startswith("s3://")


def session(s3: S3Config) -> Any:
    import boto3

    return boto3.session.Session(profile_name=s3.profile, region_name=s3.region)


def client(s3: S3Config) -> Any:
    """A boto3 S3 client whose every call is bounded by the configured timeouts and attempts.

    The worst wait of one call is about ``max_attempts * (connect_timeout + read_timeout)`` plus
    the short backoffs of botocore's "standard" retry mode: seconds, never minutes.
    """
    from botocore.config import Config as BotoConfig

    boto_cfg = BotoConfig(
        connect_timeout=s3.connect_timeout,
        read_timeout=s3.read_timeout,
        retries={"total_max_attempts": s3.max_attempts, "mode": "standard"},
        s3={"addressing_style": "path" if s3.url_style == "path" else "virtual"},
    )
    return session(s3).client("s3", endpoint_url=s3.endpoint, config=boto_cfg)


def endpoint_name(s3: S3Config) -> str:
    """The endpoint as shown in messages: the configured URL, or AWS S3 with its region."""
    return s3.endpoint or f"AWS S3 ({s3.region})"


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and what it wraps (s3transfer and boto3 re-raise botocore errors inside their own)."""
    seen: set[int] = set()
    todo: list[Optional[BaseException]] = [exc]
    while todo:
        cur = todo.pop(0)
        if cur is None or id(cur) in seen:
            continue
        seen.add(id(cur))
        yield cur
        todo += [cur.__cause__, cur.__context__, getattr(cur, "last_exception", None)]


def unavailable_reason(exc: BaseException, s3: S3Config) -> Optional[str]:
    """Why S3 did not answer, when `exc` is a connection or timeout failure; else None.

    For example ``is not answering (read timeout 30 s x 3 attempts)``.
    """
    from botocore import exceptions as bx

    attempts = f"{s3.max_attempts} attempt" + ("s" if s3.max_attempts != 1 else "")
    for cur in _causes(exc):
        if isinstance(cur, bx.ConnectTimeoutError):
            return f"is not answering (connect timeout {s3.connect_timeout} s x {attempts})"
        if isinstance(cur, (bx.ReadTimeoutError, socket.timeout, TimeoutError)):
            return f"is not answering (read timeout {s3.read_timeout} s x {attempts})"
        if isinstance(cur, bx.SSLError):
            return f"refused the TLS handshake ({attempts})"
        if isinstance(cur, (bx.EndpointConnectionError, bx.ProxyConnectionError)):
            return f"is not reachable (could not connect, {attempts})"
        if isinstance(cur, (bx.ConnectionClosedError, bx.ResponseStreamingError, bx.IncompleteReadError)):
            return f"closed the connection before answering ({attempts})"
        if isinstance(cur, (bx.ConnectionError, bx.HTTPClientError, ConnectionError)):
            return f"is not reachable ({type(cur).__name__}, {attempts})"
    return None


def resolved_credentials(s3: S3Config) -> Optional[dict[str, str]]:
    creds = session(s3).get_credentials()
    if creds is None:
        return None
    frozen = creds.get_frozen_credentials()
    out = {"key_id": frozen.access_key, "secret": frozen.secret_key}
    if frozen.token:
        out["session_token"] = frozen.token
    return out


def duckdb_secret_options(config: Config) -> dict[str, Any]:
    """Options of a DuckDB S3 secret (also used by SQLMesh's `secrets:` connection option)."""
    s3 = config.s3
    opts: dict[str, Any] = {"type": "s3", "region": s3.region, "url_style": s3.url_style}
    if s3.endpoint:
        parsed = urlparse(s3.endpoint)
        opts["endpoint"] = parsed.netloc
        opts["use_ssl"] = parsed.scheme == "https"
    creds = resolved_credentials(s3)
    if creds:
        opts.update(creds)
    return opts


def _quote(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "'" + str(value).replace("'", "''") + "'"


def duckdb_secret_sql(config: Config, name: str = "lakehouse_s3") -> str:
    opts = duckdb_secret_options(config)
    body = ", ".join(f"{k.upper()} {_quote(v) if k != 'type' else v}" for k, v in opts.items())
    return f"CREATE OR REPLACE SECRET {name} ({body})"
