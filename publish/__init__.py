"""Publish the warehouse's gold/silver tables to Aurora MySQL (SPEC §5).

Entry points: :func:`publish.publisher.publish` and `lakehouse publish` (:mod:`publish.cli`).
The modules are small and named for what they do:

* ``tables`` -- what is published: names, grains, MySQL types;
* ``checksum`` -- the row hash DuckDB and MySQL both compute;
* ``warehouse`` / ``published`` -- the reads on the DuckDB side / on the MySQL side;
* ``credentials`` / ``connection`` -- reaching MySQL: password or secret, TLS, retries, errors;
* ``ddl``, ``bulkload`` -- creating tables, loading rows (LOAD DATA LOCAL INFILE or INSERTs);
* ``swap`` / ``window`` -- the two atomic write strategies;
* ``publog``, ``report``, ``checkpoints`` -- bookkeeping, results, test hooks (errors: :class:`lake.errors.PublishError`).

docs/PUBLISH.md describes the behaviour; docs/benchmarks/publish.md the speed.
"""
