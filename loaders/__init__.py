"""Loaders: daily mysqldumps (and legacy status CSVs) -> typed Parquet partitions of the lake.

* :mod:`loaders.dumpreader` streams a dump (plain or gzip, local or S3) and yields the value
  tokens of the few tables the lake needs, skipping every other table without tokenizing it;
* :mod:`loaders.convert` turns those tokens into Arrow columns of exactly ``lake.schema.TABLES``;
* :mod:`loaders.ingest` finds new or changed dumps and writes one Parquet file per table per day,
  with a manifest per day under ``lake.layout.manifest_dir(root)``;
* :mod:`loaders.legacy` imports the old ``snapshots/tenant_status/YYYYMMDD.csv`` files.
"""

from __future__ import annotations

#: recorded in every manifest entry; bump when the parsed content of a dump could change
LOADER_VERSION = "1.0.0"
