"""Publish the warehouse's gold/silver tables to Aurora MySQL (SPEC §5), all in one transaction.

Entry points: :func:`publish.publisher.publish` and `lakehouse publish`. The modules are small
and named for what they do:

* ``tables`` -- what is published: names, grains, MySQL types;
* ``checksum`` -- the row hash DuckDB and MySQL both compute;
* ``warehouse`` / ``published`` -- the reads on the DuckDB side / on the MySQL side;
* ``credentials`` / ``connection`` -- reaching MySQL: password or secret, TLS, retries, errors;
* ``ddl`` -- everything that commits implicitly: databases, tables, added columns (before the
  transaction), the key repair of a legacy table (after it);
* ``keyed`` / ``window`` -- the diff and its application for whole tables (by primary key) and
  for the day-windowed snapshot table (by day);
* ``bulkload``, ``verify`` -- writing rows (LOAD DATA LOCAL INFILE or INSERT/REPLACE), checking
  them against the warehouse before COMMIT;
* ``transaction`` -- the ONE transaction in which every table changes (and the dry run);
* ``publisher`` -- the run: warehouse checks, named lock, DDL, the transaction, the failure row;
* ``publog``, ``report``, ``checkpoints`` -- bookkeeping, results, test hooks;
* errors are :class:`lake.errors.PublishError`.

On the spark gateway, publish reads a DuckDB copy of Spark's tables (:func:`lake.spark.spark_tables`).

docs/PUBLISH.md describes the behaviour; docs/benchmarks/publish.md the speed.
"""
