"""Before the daily job changes anything: do S3 and MySQL answer? (SPEC §6)

One cheap call to each service the run needs -- a one-key listing of the dumps and of the lake
on S3, one MySQL connection (no retries) when the run publishes -- bounded by the configured
timeouts, so a dead endpoint stops the run in seconds with one line naming it, before the lock,
the lake or the warehouse are touched.
"""

from __future__ import annotations

import dataclasses

from lake.config import Config
from lake.s3 import is_s3
from lake.storage import storage_for
from pipeline.persist import pointer_uri


def check_services(config: Config, mysql: bool) -> None:
    """Raise S3Unavailable/StorageError or PublishError naming the service that does not answer
    (ConfigError when the spark gateway is chosen without pyspark or Java)."""
    if config.models.gateway == "spark":
        from lake.spark import require_spark

        require_spark()
    for root in dict.fromkeys([config.source.root, config.lake.root]):
        if is_s3(root):
            next(iter(storage_for(root, config).list(root)), None)
    persisted = config.warehouse.persist_uri
    if persisted and is_s3(persisted):
        storage_for(persisted, config).stat(pointer_uri(persisted))
    if mysql:
        from publish.connection import MySQLSession

        once = config.replace(mysql=dataclasses.replace(config.mysql, retries=0))
        session = MySQLSession(once)
        try:
            session.connection()
        finally:
            session.close()
