"""What a publish did (or, with --dry-run, would do), per table and in total.

Strategies: ``create`` (the table was created by this run and bulk-loaded), ``upsert`` (rows
deleted/replaced by key), ``window`` (snapshot days deleted/loaded), ``rewrite`` (every row
deleted and loaded again: a legacy primary key or a gained column), ``unchanged``. All tables
of a run change in one transaction, so the per-table seconds add up to the transaction's time
(its COMMIT excepted).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Optional


@dataclass
class TableReport:
    #: MySQL name, database.table
    table: str
    #: warehouse name, schema.table
    source: str
    #: create | upsert | window | rewrite | unchanged
    strategy: str
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    #: rows in the published table afterwards (= rows in the warehouse)
    total: int = 0
    #: the content checksum both sides agreed on (see publish.checksum)
    checksum: int = 0
    seconds: float = 0.0
    added_columns: list[str] = field(default_factory=list)
    #: window strategy: days rewritten / removed
    days_written: int = 0
    days_removed: int = 0
    note: str = ""

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.updated or self.deleted or self.added_columns)

    def line(self, dry_run: bool = False, width: int = 0) -> str:
        extra = []
        if self.added_columns:
            extra.append(f"adds column(s) {', '.join(self.added_columns)}")
        if self.days_written or self.days_removed:
            extra.append(f"days rewritten {self.days_written}, removed {self.days_removed}")
        if self.note:
            extra.append(self.note)
        verb = "would " if dry_run else ""
        return (
            f"  {self.table.ljust(width)}  {self.strategy:<9} {verb}insert {self.inserted:>9,}  "
            f"update {self.updated:>9,}  delete {self.deleted:>9,}  total {self.total:>10,}"
            + ("" if dry_run else f"  {self.seconds:6.1f}s")
            + (f"  ({'; '.join(extra)})" if extra else "")
        )


@dataclass
class PublishReport:
    as_of: Optional[dt.date]
    dry_run: bool
    tables: list[TableReport] = field(default_factory=list)
    seconds: float = 0.0
    run_id: str = ""
    #: snapshot table: first day kept in MySQL
    window_start: Optional[dt.date] = None

    @property
    def inserted(self) -> int:
        return sum(t.inserted for t in self.tables)

    @property
    def updated(self) -> int:
        return sum(t.updated for t in self.tables)

    @property
    def deleted(self) -> int:
        return sum(t.deleted for t in self.tables)

    def table(self, name: str) -> TableReport:
        """The report of one table by MySQL name (db.table), warehouse name or bare table name."""
        for t in self.tables:
            if name in (t.table, t.source) or t.table.split(".", 1)[1] == name:
                return t
        raise KeyError(name)

    def summary(self) -> str:
        head = "publish (dry run, nothing written)" if self.dry_run else "publish"
        as_of = self.as_of.isoformat() if self.as_of else "-"
        lines = [
            f"{head} as of {as_of}: {len(self.tables)} tables, inserted {self.inserted:,}, "
            f"updated {self.updated:,}, deleted {self.deleted:,} rows in {self.seconds:.1f}s"
        ]
        width = max((len(t.table) for t in self.tables), default=0)
        lines += [t.line(self.dry_run, width) for t in self.tables]
        return "\n".join(lines)
