"""Cross-check with the demo generator: ingesting its dumps gives exactly its simulated rows."""

from __future__ import annotations

import datetime as dt

import pyarrow.parquet as pq
import pytest

from lake.manifest import committed_file
from loaders.ingest import ingest

generate = pytest.importorskip("demo.generate")
if not hasattr(generate, "expected_rows"):  # pragma: no cover - the demo package changed
    pytest.skip("demo.generate.expected_rows is not available", allow_module_level=True)

START = dt.date(2024, 1, 1)


@pytest.mark.parametrize(
    "options",
    [{}, {"extended_insert": False, "complete_insert": True}],
    ids=["extended", "one-row-complete"],
)
def test_demo_dumps_ingest_to_the_simulated_rows(local_config, options):
    generate.generate_dumps(local_config, None, START, 3, profile="small", workers=1, **options)
    report = ingest(local_config, workers=1)
    assert report.ok, report.failures
    assert report.written_days == [START + dt.timedelta(days=i) for i in range(3)]
    for day in report.written_days:
        want = generate.expected_rows(START, day, profile="small", days=3)
        for table, rows in want.items():
            got = pq.read_table(committed_file(local_config, table, day), partitioning=None).to_pylist()
            assert sorted(got, key=lambda r: r["id"]) == sorted(rows, key=lambda r: r["id"]), (table, day)
