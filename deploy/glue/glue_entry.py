"""AWS Glue entry point: runs `lakehouse daily` and exits with its code (SPEC §6: 0, 1, 2, 3).

Glue passes the job parameters to the script as `--NAME value` pairs (and adds its own, such as
`--JOB_NAME`, `--JOB_RUN_ID`, `--TempDir`). Glue jobs have no environment variables of their own,
so the parameters named like the lakehouse's environment variables become them:

    --LAKEHOUSE_CONFIG s3://bucket/config/config.prod.yaml   (downloaded to /tmp first)
    --LAKEHOUSE__WAREHOUSE__PERSIST_URI s3://bucket/state/warehouse.duckdb
    --LAKEHOUSE_MYSQL_PASSWORD ...                           (prefer mysql.secret_arn)

Every other parameter is ignored. `--LAKEHOUSE_COMMAND "daily --no-publish"` runs another
command (default: `daily`). The last line of the output log is `lakehouse-exit-code=N`.
Works on Python 3.9 (Glue Python Shell) and 3.11 (Glue 5).
"""

from __future__ import annotations

import os
import shlex
import sys
import tempfile
from typing import Optional


def lakehouse_parameters(argv: list[str]) -> dict[str, str]:
    """The `--LAKEHOUSE...` job parameters of a Glue argv, as {NAME: value}."""
    found: dict[str, str] = {}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg.startswith("--LAKEHOUSE"):
            name, eq, value = arg[2:].partition("=")
            if not eq:
                value = argv[i + 1] if i + 1 < len(argv) else ""
                i += 1
            found[name] = value
        i += 1
    return found


def _local_config(uri: str) -> str:
    """A config given as s3://bucket/key is downloaded to /tmp (lake.config reads local files)."""
    if not uri.startswith("s3://"):
        return uri
    import boto3

    bucket, _, key = uri[len("s3://") :].partition("/")
    fd, path = tempfile.mkstemp(prefix="lakehouse-config-", suffix=".yaml")
    os.close(fd)
    boto3.client("s3").download_file(bucket, key, path)
    return path


def main(argv: Optional[list[str]] = None) -> int:
    params = lakehouse_parameters(sys.argv[1:] if argv is None else argv)
    command = shlex.split(params.pop("LAKEHOUSE_COMMAND", "") or "daily")
    os.environ.update(params)
    if os.environ.get("LAKEHOUSE_CONFIG"):
        try:
            os.environ["LAKEHOUSE_CONFIG"] = _local_config(os.environ["LAKEHOUSE_CONFIG"])
        except Exception as exc:  # one line, like the lakehouse commands (exit 2: configuration)
            uri = os.environ["LAKEHOUSE_CONFIG"]
            print(f"lakehouse glue: error: cannot read {uri}: {exc}", file=sys.stderr)
            return _report(2)

    # this script is a command layer of its own: the `lakehouse` console script, for Glue
    from pipeline.cli import main as lakehouse  # noqa: TID251

    return _report(lakehouse(command))


def _report(code: int) -> int:
    """One line with the exit code in the job's output log: Glue shows every non-zero exit as
    FAILED; CloudWatch metric filters on this line tell 1 (failed) from 3 (needs a person)."""
    print(f"lakehouse-exit-code={code}", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
