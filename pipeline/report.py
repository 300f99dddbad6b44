"""The report job: read the marts, render the page, write one HTML file (local path or s3://).

It takes no warehouse session on purpose: the report reads only the analysts' views over the
marts in the lake (lake/analysts.py), so it runs beside ``lakehouse daily`` without waiting for
the lock or blocking it, and from any machine that can read the lake.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from typing import Optional

from lake.config import Config
from lake.errors import StorageError


@dataclass
class ReportResult:
    """Where the report went, how big it is, and the day it is as of."""

    path: str
    bytes: int
    as_of: dt.date

    def summary(self) -> str:
        return f"report: {self.path} ({self.bytes:,} bytes, as of {self.as_of.isoformat()})"


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def report_job(config: Config, out: str, generated_at: Optional[dt.datetime] = None) -> ReportResult:
    """Build the report of the config's lake and write it to `out` (parent folders are created).

    Raises lake.errors.UsageError when no models run has exported the marts yet.
    """
    from lake.s3 import is_s3
    from lake.storage import storage_for
    from report import load_report_data, render_report

    data = load_report_data(config, generated_at)
    page = render_report(data).encode("utf-8")
    target = out if is_s3(out) else os.path.abspath(out)
    try:
        storage_for(target, config).write_bytes(target, page)
        if not is_s3(target):  # the storage writes private temp files; a report is for sharing
            os.chmod(target, 0o666 & ~_umask())
    except OSError as exc:
        raise StorageError(f"{target}: cannot write the report ({exc.strerror or exc})") from None
    return ReportResult(path=out, bytes=len(page), as_of=data.as_of)
