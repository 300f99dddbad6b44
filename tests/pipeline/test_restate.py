"""Replaced days stay recorded in the lake until the models restated them."""

from __future__ import annotations

import datetime as dt

from lake.restate import add_pending, clear_pending, pending_days

D = dt.date


def test_pending_days_accumulate_and_clear(local_config):
    assert pending_days(local_config) == []
    add_pending(local_config, [D(2026, 1, 5), D(2026, 1, 3)])
    add_pending(local_config, [D(2026, 1, 5), D(2026, 1, 9)])
    assert pending_days(local_config) == [D(2026, 1, 3), D(2026, 1, 5), D(2026, 1, 9)]
    clear_pending(local_config, [D(2026, 1, 3), D(2026, 1, 5)])
    assert pending_days(local_config) == [D(2026, 1, 9)]
    clear_pending(local_config, [D(2026, 1, 9)])
    assert pending_days(local_config) == []


def test_pending_days_on_s3(s3_config):
    add_pending(s3_config, [D(2026, 2, 1)])
    assert pending_days(s3_config) == [D(2026, 2, 1)]
    clear_pending(s3_config, [D(2026, 2, 1)])
    assert pending_days(s3_config) == []
