"""Where the MySQL host, user and password come from (never from config.yaml).

* default: host/port/user from config, the password from the environment variable named by
  ``mysql.password_env`` (unset = no password, the local-development default);
* ``mysql.secret_arn``: an AWS Secrets Manager secret in the JSON shape RDS writes
  (``{"username", "password", "host", "port", ...}``); its values override host/port/user.

The password lives only in :class:`MySQLTarget` (kept out of its repr) and is handed to the
driver; nothing here logs or formats it.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Optional

from lake.config import Config
from lake.errors import PublishError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MySQLTarget:
    host: str
    port: int
    user: str
    password: str = field(repr=False)
    #: where the credentials came from, for messages ("$LAKEHOUSE_MYSQL_PASSWORD", "secret <arn>")
    origin: str = ""

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


def resolve_target(config: Config, environ: Optional[Mapping[str, str]] = None) -> MySQLTarget:
    environ = os.environ if environ is None else environ
    m = config.mysql
    if m.secret_arn:
        secret = read_secret(m.secret_arn, config)
        try:
            port = int(secret.get("port") or m.port)
        except (TypeError, ValueError):
            raise PublishError(f"secret {m.secret_arn}: 'port' is not a number") from None
        host = str(secret.get("host") or m.host)
        user = str(secret.get("username") or m.user)
        if "password" not in secret:
            raise PublishError(f"secret {m.secret_arn} has no 'password' key (expected RDS-style JSON)")
        return MySQLTarget(host, port, user, str(secret["password"]), f"secret {m.secret_arn}")
    password = environ.get(m.password_env)
    if password is None:
        log.debug("$%s is not set: connecting to MySQL without a password", m.password_env)
    return MySQLTarget(m.host, m.port, m.user, password or "", f"${m.password_env}")


def _region_of(arn: str) -> Optional[str]:
    parts = arn.split(":")
    if arn.startswith("arn:") and len(parts) > 4 and parts[3]:
        return parts[3]
    return None


def read_secret(arn: str, config: Config) -> dict[str, Any]:
    """The secret's JSON. Errors name the secret, never its contents.

    The region comes from the ARN (a bare secret name uses ``s3.region``); credentials from
    boto3's chain (``s3.profile``, env, ECS task role, ...). ``AWS_ENDPOINT_URL_SECRETS_MANAGER``
    points boto3 at another endpoint (tests use moto's server).
    """
    import boto3
    from botocore.config import Config as BotoConfig
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        session = boto3.session.Session(profile_name=config.s3.profile)
        client = session.client(
            "secretsmanager",
            region_name=_region_of(arn) or config.s3.region,
            config=BotoConfig(
                retries={"max_attempts": 5, "mode": "standard"},
                connect_timeout=config.mysql.connect_timeout,
                read_timeout=30,
            ),
        )
        value = client.get_secret_value(SecretId=arn)
    except ClientError as exc:
        err = exc.response.get("Error", {})
        raise PublishError(
            f"cannot read secret {arn}: {err.get('Code', 'error')}: {err.get('Message', '')}".rstrip(": ")
        ) from None
    except BotoCoreError as exc:
        raise PublishError(f"cannot read secret {arn}: {exc.__class__.__name__}: {exc}") from None
    text = value.get("SecretString")
    if not text:
        raise PublishError(f"secret {arn} has no SecretString (expected RDS-style JSON)")
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise PublishError(f"secret {arn} is not a JSON object (expected RDS-style username/password/...)")
    return data
