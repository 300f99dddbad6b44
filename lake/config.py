"""The one configuration of the lakehouse.

Every component -- the `lakehouse` CLI, the SQLMesh project (`sqlmesh_project/config.py`),
the publish step and analysts' helpers -- calls :func:`load_config`; no setting is copied
anywhere else.

Resolution order (later wins):

1. the YAML file: ``--config PATH``, else ``$LAKEHOUSE_CONFIG``, else ``./config.yaml``,
   else the repository's ``config.yaml`` (in a checkout; an installed wheel uses the current folder);
2. environment overrides ``LAKEHOUSE__<SECTION>__<KEY>=<yaml value>``, e.g.
   ``LAKEHOUSE__LAKE__ROOT=s3://bucket/lake`` or ``LAKEHOUSE__KPI__FORWARD_DAYS=60``.

The file is validated on load: an unknown key or a bad value raises :class:`ConfigError`
naming the dotted key (``kpi.forward_days``), so a typo never silently falls back to a default.
Relative local paths are resolved against the directory of the config file, so the CLI and
SQLMesh (which runs from ``sqlmesh_project/``) see the same lake.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import yaml

from lake.errors import ConfigError

ENV_CONFIG = "LAKEHOUSE_CONFIG"
ENV_PREFIX = "LAKEHOUSE__"
REPO_ROOT = Path(__file__).resolve().parent.parent
#: running from a git checkout (not from an installed wheel, whose parent is site-packages)
_IN_CHECKOUT = (REPO_ROOT / "pyproject.toml").is_file()

#: the SQLMesh gateways the models can run on (models.gateway)
MODEL_GATEWAYS = ("duckdb", "spark")

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as strings, so a bad date is reported with its key."""


_Loader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _yaml(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass


# ----------------------------------------------------------------------------- sections


@dataclass(frozen=True)
class LakeConfig:
    #: local folder or s3://bucket/prefix; partitions live under <root>/raw/<table>/snapshot_date=.../
    root: str = "var/lake"


@dataclass(frozen=True)
class SourceConfig:
    #: folder or s3://bucket/prefix that holds the daily dumps
    root: str = "var/dumps"
    #: key of a dump relative to root; {date:<strftime>} marks the snapshot date
    key_pattern: str = "{date:%Y%m%d}.sql.gz"
    #: folder or s3:// prefix of legacy snapshots/tenant_status/YYYYMMDD.csv files
    legacy_csv_root: str = "var/snapshots/tenant_status"
    #: the daily job exits 3 when the newest dump is older than this many days (None = no check)
    max_age_days: Optional[int] = None
    #: time zone of the dumps' dates (the operator's calendar), for max_age_days
    timezone: str = "Asia/Tokyo"


@dataclass(frozen=True)
class S3Config:
    #: None = AWS; http://host:port for SeaweedFS/MinIO
    endpoint: Optional[str] = None
    region: str = "ap-northeast-1"
    #: "path" for SeaweedFS/MinIO, "vhost" for AWS
    url_style: str = "vhost"
    #: AWS profile for boto3's credential chain (None = default chain: env, ECS/EC2 role, ...)
    profile: Optional[str] = None
    #: seconds to wait for a TCP connection to the endpoint, per attempt
    connect_timeout: int = 5
    #: seconds to wait for a response (or the next chunk of one), per attempt
    read_timeout: int = 30
    #: attempts per S3 call (1 = no retry); the worst wait is about
    #: max_attempts * (connect_timeout + read_timeout) plus short backoffs
    max_attempts: int = 3


@dataclass(frozen=True)
class WarehouseConfig:
    #: the DuckDB file holding the SQLMesh state and the silver/gold tables
    path: str = "var/warehouse.duckdb"
    #: optional s3:// key (or a path on a mounted volume) the warehouse is persisted to between
    #: ephemeral runs: each successful run writes a new copy next to it and moves the pointer
    persist_uri: Optional[str] = None
    #: seconds a warehouse lock is honoured without a heartbeat; a live run renews it every
    #: lock_ttl_seconds / 5, so only a dead run's lock ever expires
    lock_ttl_seconds: int = 300
    #: DuckDB memory_limit for model runs ("" = DuckDB default)
    memory_limit: str = ""
    threads: int = 0


@dataclass(frozen=True)
class TableMapping:
    #: table name in the dump
    source: str
    #: canonical column name -> column name in the dump, only where they differ
    columns: dict[str, str] = field(default_factory=dict)


def _default_tables() -> dict[str, TableMapping]:
    return {name: TableMapping(source=name) for name in ("tenants", "rooms", "apartments")}


@dataclass(frozen=True)
class TlsConfig:
    enabled: bool = False
    #: CA bundle (e.g. the RDS global bundle); None = system CAs
    ca: Optional[str] = None
    verify_identity: bool = True


@dataclass(frozen=True)
class MySQLConfig:
    host: str = "127.0.0.1"
    port: int = 3306
    user: str = "root"
    #: name of the environment variable holding the password (the password itself never lives here)
    password_env: str = "LAKEHOUSE_MYSQL_PASSWORD"
    #: AWS Secrets Manager ARN/name of an RDS-style {"username","password","host","port"} secret
    secret_arn: Optional[str] = None
    #: warehouse schema -> MySQL database name
    databases: dict[str, str] = field(default_factory=lambda: {"gold": "gold", "silver": "silver"})
    #: database holding publish_log
    log_database: str = "gold"
    tls: TlsConfig = field(default_factory=TlsConfig)
    connect_timeout: int = 10
    retries: int = 4


@dataclass(frozen=True)
class KpiConfig:
    occupied_status_codes: list[int] = field(default_factory=lambda: [4, 5, 6, 7, 9])
    scheduled_status_codes: list[int] = field(default_factory=lambda: [4, 5])
    forward_days: int = 90
    lookback_days: int = 3


@dataclass(frozen=True)
class ModelsConfig:
    #: first snapshot date the models cover; None = the lake's first committed day (legacy
    #: days included), so no lake day is left out of the history by accident
    start: Optional[dt.date] = None
    #: how often a plain `sqlmesh run` looks for new lake days (the models' intervals are days and
    #: allow partials, so a day is computed as soon as its dump is committed, see docs/MODELS.md)
    cron: str = "@hourly"
    #: the SQLMesh gateway the models run on: "duckdb" (the warehouse file, the default) or
    #: "spark" (Apache Spark, section `spark`; docs/SCALE_OUT.md)
    gateway: str = "duckdb"
    #: the most snapshot days one query of an incremental model covers (SQLMesh's batch_size): a
    #: first build or restatement of a long history runs as batches of this many days, so what
    #: the incremental models hold in memory grows with a batch, not with the whole history
    #: (the FULL status history still reads every day; docs/MODELS.md)
    batch_days: int = 365


@dataclass(frozen=True)
class SparkConfig:
    """The `spark` gateway (docs/SCALE_OUT.md): where its tables live and how its session starts.

    Its SQLMesh state stays in the DuckDB file ``warehouse.path`` (Spark cannot hold SQLMesh
    state); its tables live in ``warehouse_dir`` (``spark.sql.warehouse.dir``) with a local
    Derby metastore next to them, unless ``conf`` points the session at a catalog of its own
    (e.g. the AWS Glue Data Catalog on Glue or EMR).
    """

    #: Spark master URL; "" = leave it to the platform (spark-submit, Glue, EMR)
    master: str = "local[*]"
    #: folder (or s3:// URI) of the Spark tables: spark.sql.warehouse.dir
    warehouse_dir: str = "var/spark/warehouse"
    #: folder of the local Derby metastore (the Spark catalog); ignored when `conf` names another
    metastore_dir: str = "var/spark/metastore"
    #: further Spark settings, e.g. {"spark.driver.memory": "4g"}
    conf: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class IngestConfig:
    #: parallel dumps on a backfill (0 = number of CPUs)
    workers: int = 0


@dataclass(frozen=True)
class PublishConfig:
    #: days of silver.tenant_room_snapshot_daily kept in MySQL
    snapshot_days: int = 365
    #: rows per INSERT batch
    batch_rows: int = 5000
    #: when false, the daily job stops after the models (no MySQL needed)
    enabled: bool = True


@dataclass(frozen=True)
class Config:
    lake: LakeConfig = field(default_factory=LakeConfig)
    source: SourceConfig = field(default_factory=SourceConfig)
    s3: S3Config = field(default_factory=S3Config)
    warehouse: WarehouseConfig = field(default_factory=WarehouseConfig)
    tables: dict[str, TableMapping] = field(default_factory=_default_tables)
    mysql: MySQLConfig = field(default_factory=MySQLConfig)
    kpi: KpiConfig = field(default_factory=KpiConfig)
    models: ModelsConfig = field(default_factory=ModelsConfig)
    spark: SparkConfig = field(default_factory=SparkConfig)
    ingest: IngestConfig = field(default_factory=IngestConfig)
    publish: PublishConfig = field(default_factory=PublishConfig)
    #: the file this configuration came from (None when built from defaults)
    source_file: Optional[str] = None

    def replace(self, **sections: Any) -> Config:
        """A copy with whole sections replaced (used by tests and the demo)."""
        return dataclasses.replace(self, **sections)


# ----------------------------------------------------------------------------- loading


def find_config_file(explicit: Optional[str] = None) -> Optional[Path]:
    """The config file to read, or None to run on built-in defaults."""
    for candidate in (explicit, os.environ.get(ENV_CONFIG)):
        if candidate:
            path = Path(candidate).expanduser()
            if not path.is_file():
                raise ConfigError(f"config file not found: {path}")
            return path.resolve()
    candidates = [Path.cwd() / "config.yaml"]
    if _IN_CHECKOUT:  # an installed wheel has no repository config.yaml beside it
        candidates.append(REPO_ROOT / "config.yaml")
    for path in candidates:
        if path.is_file():
            return path.resolve()
    return None


def load_config(path: Optional[str] = None, environ: Optional[typing.Mapping[str, str]] = None) -> Config:
    """Read, override from the environment, validate and resolve the configuration."""
    environ = os.environ if environ is None else environ
    file = find_config_file(path)
    data: dict[str, Any] = {}
    if file is not None:
        try:
            loaded = _yaml(file.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ConfigError(f"{file}: not valid YAML: {exc}") from None
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"{file}: the top level must be a mapping of sections")
        data = loaded or {}
    _apply_env_overrides(data, environ)
    config = _build(Config, data, "")
    # a file that maps only `tenants` keeps the default mapping of the other tables
    config = dataclasses.replace(config, tables={**_default_tables(), **config.tables})
    _validate(config)
    base = file.parent if file is not None else (REPO_ROOT if _IN_CHECKOUT else Path.cwd())
    return _resolve_paths(config, base, str(file) if file else None)


def _apply_env_overrides(data: dict[str, Any], environ: typing.Mapping[str, str]) -> None:
    for name, raw in sorted(environ.items()):
        if not name.startswith(ENV_PREFIX):
            continue
        parts = [p.lower() for p in name[len(ENV_PREFIX) :].split("__") if p]
        if not parts:
            continue
        try:
            value = _yaml(raw) if raw != "" else ""
        except yaml.YAMLError:
            value = raw
        node = data
        for part in parts[:-1]:
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if not isinstance(child, dict):
                raise ConfigError(f"{name}: {'.'.join(parts)} does not name a key inside a section")
            node = child
        node[parts[-1]] = value


def _build(cls: Any, data: Any, key: str) -> Any:
    """Build dataclass `cls` from plain YAML data, rejecting unknown keys and wrong types."""
    if not isinstance(data, dict):
        raise ConfigError(f"{key or 'config'}: expected a mapping, got {data!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name != "source_file"}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        where = f"{key}." if key else ""
        raise ConfigError(
            f"unknown config key {where}{unknown[0]} (known keys here: {', '.join(sorted(fields))})"
        )
    kwargs = {}
    for name, value in data.items():
        kwargs[name] = _coerce(hints[name], value, f"{key}.{name}" if key else name)
    try:
        return cls(**kwargs)
    except TypeError as exc:  # a required field without default (e.g. tables.x.source)
        raise ConfigError(f"{key}: {exc}") from None


def _coerce(tp: Any, value: Any, key: str) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Union:  # Optional[X]
        if value is None:
            return None
        inner = [a for a in args if a is not type(None)][0]
        return _coerce(inner, value, key)
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, key)
    if origin is list:
        if not isinstance(value, list):
            raise ConfigError(f"{key}: expected a list, got {value!r}")
        return [_coerce(args[0], v, f"{key}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{key}: expected a mapping, got {value!r}")
        out = {}
        for k, v in value.items():
            if key == "tables" and isinstance(v, dict) and "source" not in v:
                v = {**v, "source": str(k)}
            out[str(k)] = _coerce(args[1], v, f"{key}.{k}")
        return out
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key}: expected true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key}: expected an integer, got {value!r}")
        return value
    if tp is str:
        if isinstance(value, (dict, list)) or value is None:
            raise ConfigError(f"{key}: expected a string, got {value!r}")
        return str(value)
    if tp is dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise ConfigError(f"{key}: expected a date YYYY-MM-DD, got {value!r}") from None
    raise ConfigError(f"{key}: unsupported type {tp}")  # pragma: no cover - schema bug


def _validate(c: Config) -> None:
    from lake.schema import TABLES  # local import: schema imports nothing from here

    def need(ok: bool, key: str, msg: str) -> None:
        if not ok:
            raise ConfigError(f"{key}: {msg}")

    need(bool(c.lake.root), "lake.root", "must not be empty")
    need("{date:" in c.source.key_pattern, "source.key_pattern", "must contain a {date:<strftime>} field")
    if c.source.max_age_days is not None:
        need(c.source.max_age_days >= 0, "source.max_age_days", "must be >= 0 (or null: no check)")
    need(_known_timezone(c.source.timezone), "source.timezone", f"unknown time zone {c.source.timezone!r}")
    need(
        c.s3.url_style in ("path", "vhost"),
        "s3.url_style",
        f"must be 'path' or 'vhost', got {c.s3.url_style!r}",
    )
    if c.s3.endpoint is not None:
        need(
            re.match(r"^https?://[^/\s]+/?$", c.s3.endpoint) is not None,
            "s3.endpoint",
            f"must look like http(s)://host:port, got {c.s3.endpoint!r}",
        )
    for key in ("connect_timeout", "read_timeout", "max_attempts"):
        value = getattr(c.s3, key)
        need(1 <= value <= 600, f"s3.{key}", f"must be 1..600, got {value}")
    need(c.warehouse.lock_ttl_seconds >= 10, "warehouse.lock_ttl_seconds", "must be >= 10")
    need(c.warehouse.threads >= 0, "warehouse.threads", "must be >= 0")
    if c.warehouse.persist_uri is not None:
        need(bool(c.warehouse.persist_uri.strip()), "warehouse.persist_uri", "must not be empty")
    for name, mapping in c.tables.items():
        need(name in TABLES, f"tables.{name}", f"unknown table (known: {', '.join(TABLES)})")
        need(
            bool(_IDENT.match(mapping.source)),
            f"tables.{name}.source",
            f"not a valid table name: {mapping.source!r}",
        )
        for canonical, src in mapping.columns.items():
            need(
                canonical in TABLES[name].column_names,
                f"tables.{name}.columns.{canonical}",
                f"unknown column (known: {', '.join(TABLES[name].column_names)})",
            )
            need(
                bool(_IDENT.match(src)),
                f"tables.{name}.columns.{canonical}",
                f"not a valid column name: {src!r}",
            )
    need(1 <= c.mysql.port <= 65535, "mysql.port", f"must be 1..65535, got {c.mysql.port}")
    need(
        bool(_IDENT.match(c.mysql.user.replace("-", "_"))),
        "mysql.user",
        f"not a valid user name: {c.mysql.user!r}",
    )
    need(
        bool(_IDENT.match(c.mysql.password_env)), "mysql.password_env", "must be an environment variable name"
    )
    need(
        set(c.mysql.databases) == {"gold", "silver"},
        "mysql.databases",
        "must map exactly the warehouse schemas gold and silver",
    )
    for schema, db in c.mysql.databases.items():
        need(bool(_IDENT.match(db)), f"mysql.databases.{schema}", f"not a valid database name: {db!r}")
    need(bool(_IDENT.match(c.mysql.log_database)), "mysql.log_database", "not a valid database name")
    need(c.mysql.connect_timeout > 0, "mysql.connect_timeout", "must be positive")
    need(c.mysql.retries >= 0, "mysql.retries", "must be >= 0")
    for key in ("occupied_status_codes", "scheduled_status_codes"):
        codes = getattr(c.kpi, key)
        need(len(codes) > 0, f"kpi.{key}", "must list at least one status code")
        need(all(0 <= x <= 10_000 for x in codes), f"kpi.{key}", "status codes must be >= 0")
    need(1 <= c.kpi.forward_days <= 3660, "kpi.forward_days", f"must be 1..3660, got {c.kpi.forward_days}")
    need(0 <= c.kpi.lookback_days <= 366, "kpi.lookback_days", f"must be 0..366, got {c.kpi.lookback_days}")
    need(
        c.models.gateway in MODEL_GATEWAYS,
        "models.gateway",
        f"must be one of {', '.join(MODEL_GATEWAYS)}, got {c.models.gateway!r}",
    )
    need(
        1 <= c.models.batch_days <= 36_600,
        "models.batch_days",
        f"must be 1..36600 days, got {c.models.batch_days}",
    )
    need(c.ingest.workers >= 0, "ingest.workers", "must be >= 0")
    need(c.publish.snapshot_days >= 1, "publish.snapshot_days", "must be >= 1")
    need(c.publish.batch_rows >= 1, "publish.batch_rows", "must be >= 1")


def _known_timezone(name: str) -> bool:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _resolve(base: Path, value: str) -> str:
    if value.startswith("s3://"):
        return value.rstrip("/")
    return str((base / Path(value).expanduser()).resolve())


def _resolve_paths(c: Config, base: Path, source_file: Optional[str]) -> Config:
    tls = c.mysql.tls
    if tls.ca:
        tls = dataclasses.replace(tls, ca=_resolve(base, tls.ca))
    return dataclasses.replace(
        c,
        lake=dataclasses.replace(c.lake, root=_resolve(base, c.lake.root)),
        source=dataclasses.replace(
            c.source,
            root=_resolve(base, c.source.root),
            legacy_csv_root=_resolve(base, c.source.legacy_csv_root),
        ),
        warehouse=dataclasses.replace(
            c.warehouse,
            path=_resolve(base, c.warehouse.path),
            persist_uri=_resolve(base, c.warehouse.persist_uri) if c.warehouse.persist_uri else None,
        ),
        spark=dataclasses.replace(
            c.spark,
            warehouse_dir=_resolve(base, c.spark.warehouse_dir),
            metastore_dir=_resolve(base, c.spark.metastore_dir),
        ),
        mysql=dataclasses.replace(c.mysql, tls=tls),
        source_file=source_file,
    )
