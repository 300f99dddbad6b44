"""Named points in a publish run where a test can freeze the process to kill it there.

``LAKEHOUSE_PUBLISH_PAUSE_AT=<point>:<marker file>`` makes the run write the marker file when
it reaches `<point>` and then sleep, so a test can SIGKILL it at exactly that moment and check
that every MySQL table is either fully old or fully new. Unset (always, in production), a
checkpoint costs one environment lookup. Points, in run order: ``prepared``, ``staged``,
``window-written`` (inside the open transaction), ``window-committed``, ``swapped``.
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
