"""Named points in a publish run where a test can freeze the process to kill it there.

``LAKEHOUSE_PUBLISH_PAUSE_AT=<point>:<marker file>`` makes the run write the marker file when
it reaches `<point>` and then sleep, so a test can SIGKILL it at exactly that moment and check
that every MySQL table is either fully old or fully new; in-process tests replace
:func:`reached` to act there instead (kill the connection, raise, look from another connection).
Unset (always, in production), a checkpoint costs one environment lookup. Points, in run order:

* ``prepared`` -- the DDL is done, the transaction has not begun;
* ``begun`` -- inside the transaction, nothing written yet;
* ``wrote-<table>`` -- inside the transaction, after that table's writes (and verification),
  for each table in :data:`publish.tables.TARGETS` order, e.g. ``wrote-occupancy_daily_metrics``;
* ``written`` -- every table and the ``publish_log`` rows written, just before COMMIT;
* ``committed`` -- after COMMIT.

A retried transaction passes its points again.
"""

from __future__ import annotations

import os
import time

ENV = "LAKEHOUSE_PUBLISH_PAUSE_AT"
PAUSE_SECONDS = 600


def reached(point: str) -> None:
    spec = os.environ.get(ENV)
    if not spec:
        return
    name, _, marker = spec.partition(":")
    if name != point:
        return
    if marker:
        with open(marker, "w", encoding="utf-8") as f:
            f.write(f"{os.getpid()} {point}\n")
    time.sleep(PAUSE_SECONDS)
