"""S3 calls are bounded by the configured timeouts and attempts, and fail as one line naming the endpoint.

A fault-injecting proxy (tests/s3proxy.py) sits between the client and the real SeaweedFS server.
"""

from __future__ import annotations

import dataclasses
import socket
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from lake.errors import S3Unavailable, StorageError
from lake.storage import storage_for
from tests.s3proxy import S3Proxy


@pytest.fixture
def proxy(s3_server):
    with S3Proxy(s3_server.endpoint) as p:
        yield p


def _via(config, endpoint, **s3):
    return config.replace(s3=dataclasses.replace(config.s3, endpoint=endpoint, **s3))


def test_every_kind_of_s3_call_works_through_the_proxy(s3_config, proxy, tmp_path):
    cfg = _via(s3_config, proxy.endpoint)
    prefix = f"s3://state/{uuid.uuid4().hex[:10]}"
    storage = storage_for(prefix, cfg)
    storage.write_bytes(f"{prefix}/a", b"alpha")
    assert storage.read_bytes(f"{prefix}/a") == b"alpha"
    etag = storage.put_if_absent(f"{prefix}/b", b"beta")
    assert storage.put_if_match(f"{prefix}/b", b"beta2", etag)
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * (9 << 20))  # multipart upload with Expect: 100-continue
    storage.upload_file(str(big), f"{prefix}/big")
    storage.download_file(f"{prefix}/big", str(tmp_path / "back.bin"))
    assert (tmp_path / "back.bin").read_bytes() == big.read_bytes()
    assert sorted(i.uri for i in storage.list(prefix)) == [f"{prefix}/{k}" for k in ("a", "b", "big")]
    storage.delete(f"{prefix}/a")
    assert storage.stat(f"{prefix}/a") is None
    assert ("PUT", f"/state/{prefix[11:]}/a") in proxy.requests


def test_the_s3_client_uses_the_configured_timeouts_and_attempts(s3_config):
    cfg = _via(s3_config, s3_config.s3.endpoint, connect_timeout=3, read_timeout=7, max_attempts=4)
    client = storage_for("s3://state/x", cfg)._client
    assert client.meta.config.connect_timeout == 3
    assert client.meta.config.read_timeout == 7
    assert client.meta.config.retries["total_max_attempts"] == 4
    assert client.meta.config.retries["mode"] == "standard"


def test_a_hung_s3_endpoint_fails_within_the_bound_with_one_line_naming_it(s3_config, proxy):
    cfg = _via(s3_config, proxy.endpoint, connect_timeout=1, read_timeout=1, max_attempts=3)
    storage = storage_for("s3://lake/x", cfg)
    uri = "s3://lake/x/_manifest/entries/2024-01-01.json"
    proxy.hang()
    t0 = time.monotonic()
    with pytest.raises(S3Unavailable) as err:
        storage.read_bytes(uri)
    elapsed = time.monotonic() - t0
    assert 2.8 < elapsed < 6  # 3 attempts x 1 s read timeout, plus short backoffs
    msg = str(err.value)
    assert msg == (
        f"S3 at {proxy.endpoint} is not answering (read timeout 1 s x 3 attempts) while reading {uri}"
    )
    assert err.value.__cause__ is None and err.value.__suppress_context__


def test_every_storage_call_on_a_hung_endpoint_is_an_s3_unavailable_error(s3_config, proxy, tmp_path):
    cfg = _via(s3_config, proxy.endpoint, connect_timeout=1, read_timeout=1, max_attempts=1)
    storage = storage_for("s3://state/x", cfg)
    proxy.hang()
    (tmp_path / "f").write_bytes(b"f")
    calls = {
        "checking": lambda u: storage.stat(u),
        "listing": lambda u: list(storage.list(u)),
        "writing": lambda u: storage.write_bytes(u, b"x"),
        "creating": lambda u: storage.put_if_absent(u, b"x"),
        "replacing": lambda u: storage.put_if_match(u, b"x", "etag"),
        "deleting": lambda u: storage.delete_if_match(u, "etag"),
        "uploading to": lambda u: storage.upload_file(str(tmp_path / "f"), u),
        "downloading": lambda u: storage.download_file(u, str(tmp_path / "g")),
    }

    def attempt(action):
        uri = f"s3://state/x/{action.split()[0]}"
        t0 = time.monotonic()
        try:
            calls[action](uri)
        except S3Unavailable as exc:
            return uri, time.monotonic() - t0, str(exc)
        return uri, time.monotonic() - t0, "no error"

    with ThreadPoolExecutor(len(calls)) as pool:  # all at once: 1 s, not 8
        results = dict(zip(calls, pool.map(attempt, calls)))
    for action, (uri, elapsed, msg) in results.items():
        assert (
            msg
            == f"S3 at {proxy.endpoint} is not answering (read timeout 1 s x 1 attempt) while {action} {uri}"
        )
        assert elapsed < 5, action


def test_an_endpoint_nobody_listens_on_is_unavailable_at_once(s3_config):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = _via(s3_config, f"http://127.0.0.1:{port}", connect_timeout=1, read_timeout=1, max_attempts=2)
    t0 = time.monotonic()
    with pytest.raises(S3Unavailable) as err:
        storage_for("s3://lake/x", cfg).stat("s3://lake/x/y")
    assert time.monotonic() - t0 < 5
    assert str(err.value) == (
        f"S3 at http://127.0.0.1:{port} is not reachable (could not connect, 2 attempts) "
        "while checking s3://lake/x/y"
    )


def test_a_put_the_server_refuses_is_a_storage_error_naming_the_uri_and_endpoint(s3_config, proxy):
    cfg = _via(s3_config, proxy.endpoint, max_attempts=2)
    storage = storage_for("s3://lake/x", cfg)
    uri = f"s3://lake/{uuid.uuid4().hex[:8]}/_manifest/current.json"
    proxy.fail_puts(matching="/_manifest/", status=500)
    with pytest.raises(StorageError) as err:
        storage.write_bytes(uri, b"{}")
    assert not isinstance(err.value, S3Unavailable)
    assert str(err.value) == (
        f"S3 at {proxy.endpoint} refused writing {uri}: "
        "InternalError (HTTP 500): injected by tests/s3proxy.py"
    )
    assert proxy.failed == 2  # botocore retried it once (max_attempts = 2)
    storage.write_bytes(uri.replace("_manifest", "other"), b"{}")  # only matching PUTs fail
    proxy.fail_puts(matching="/_manifest/", status=500, count=1)
    storage.write_bytes(uri, b"{}")  # one failure, then the retry goes through
    assert storage.read_bytes(uri) == b"{}"
