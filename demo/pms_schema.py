"""The demo PMS database: its tables as MariaDB prints them, and how a row becomes dump bytes.

The ``tenants`` table is deliberately not the canonical shape: canonical columns sit between
wide text columns, ``moveout_plans_date`` comes before ``moveout_date``, and the text columns
(notes, screening memo, emergency contact, preferences JSON) make a realistic row ~3.5 KB, so a
28,000-tenant section is ~100 MB. ``payments`` (before ``tenants`` in name order) and
``visit_logs`` (after it) are the big tables an ingest must skip without parsing.

Names of the canonical tables and columns follow ``config.tables`` (canonical -> source name), so
a test can generate a dump in the spelling of another PMS installation.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import random
from collections.abc import Iterator
from typing import Optional

import numpy as np

from demo import vocab
from demo.dumpwriter import (
    TableDef,
    backtick,
    escape,
    sql_date,
    sql_datetime,
    sql_decimal,
    sql_int,
    sql_string,
)
from demo.simulate import (
    APP,
    APT,
    CT,
    MOVEIN,
    MOVEOUT,
    PAY,
    PLANS,
    ROOM,
    ST,
    Apartment,
    Room,
    Simulation,
    Tenant,
)
from lake.config import Config

_TENANTS = (
    ("id", "int(11) NOT NULL AUTO_INCREMENT"),
    ("tenant_code", "varchar(32) NOT NULL"),
    ("full_name", "varchar(255) NOT NULL"),
    ("full_name_kana", "varchar(255) DEFAULT NULL"),
    ("email", "varchar(255) DEFAULT NULL"),
    ("phone", "varchar(32) DEFAULT NULL"),
    ("birth_date", "date DEFAULT NULL"),
    ("nationality", "varchar(64) DEFAULT NULL"),
    ("status", "tinyint(4) NOT NULL DEFAULT 0"),
    ("contract_type", "tinyint(4) NOT NULL DEFAULT 1"),
    ("apartment_id", "int(11) DEFAULT NULL"),
    ("room_id", "int(11) DEFAULT NULL"),
    ("application_date", "date DEFAULT NULL"),
    ("move_in_date", "date DEFAULT NULL"),
    ("moveout_plans_date", "date DEFAULT NULL"),
    ("moveout_date", "date DEFAULT NULL"),
    ("rent", "int(11) DEFAULT NULL"),
    ("deposit", "decimal(10,2) DEFAULT NULL"),
    ("payment_status", "tinyint(4) DEFAULT NULL"),
    ("address", "varchar(512) DEFAULT NULL"),
    ("emergency_contact", "text DEFAULT NULL"),
    ("notes", "mediumtext DEFAULT NULL"),
    ("screening_memo", "text DEFAULT NULL"),
    ("preferences", "longtext DEFAULT NULL"),
    ("created_at", "datetime NOT NULL DEFAULT current_timestamp()"),
    ("updated_at", "datetime NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp()"),
    ("is_deleted", "tinyint(1) NOT NULL DEFAULT 0"),
)
_TENANTS_KEYS = (
    ("PRIMARY KEY", None, ("id",)),
    ("UNIQUE KEY", "uq_tenants_code", ("tenant_code",)),
    ("KEY", "idx_tenants_status", ("status",)),
    ("KEY", "idx_tenants_room", ("apartment_id", "room_id")),
)

_ROOMS = (
    ("id", "int(11) NOT NULL AUTO_INCREMENT"),
    ("room_number", "varchar(16) NOT NULL"),
    ("floor", "tinyint(4) DEFAULT NULL"),
    ("room_type", "varchar(32) DEFAULT NULL"),
    ("size_sqm", "decimal(5,2) DEFAULT NULL"),
    ("rent", "int(11) DEFAULT NULL"),
    ("apartment_id", "int(11) NOT NULL"),
    ("is_active", "tinyint(1) NOT NULL DEFAULT 1"),
    ("created_at", "datetime NOT NULL DEFAULT current_timestamp()"),
    ("updated_at", "datetime NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp()"),
)
_ROOMS_KEYS = (
    ("PRIMARY KEY", None, ("id",)),
    ("UNIQUE KEY", "uq_rooms_number", ("apartment_id", "room_number")),
    ("KEY", "idx_rooms_active", ("is_active",)),
)

_APARTMENTS = (
    ("id", "int(11) NOT NULL AUTO_INCREMENT"),
    ("name", "varchar(255) NOT NULL"),
    ("area", "varchar(64) DEFAULT NULL"),
    ("address", "varchar(512) DEFAULT NULL"),
    ("total_floors", "tinyint(4) DEFAULT NULL"),
    ("opened_on", "date DEFAULT NULL"),
    ("created_at", "datetime NOT NULL DEFAULT current_timestamp()"),
)
_APARTMENTS_KEYS = (("PRIMARY KEY", None, ("id",)),)

PAYMENTS = TableDef(
    "payments",
    (
        ("id", "bigint(20) unsigned NOT NULL AUTO_INCREMENT"),
        ("tenant_id", "int(11) NOT NULL"),
        ("billing_month", "char(7) NOT NULL"),
        ("amount", "int(11) NOT NULL"),
        ("fee", "decimal(10,2) NOT NULL DEFAULT 0.00"),
        ("method", "varchar(32) NOT NULL"),
        ("paid_at", "datetime DEFAULT NULL"),
        ("reference", "varchar(64) DEFAULT NULL"),
        ("memo", "varchar(255) DEFAULT NULL"),
        ("created_at", "datetime NOT NULL DEFAULT current_timestamp()"),
    ),
    (
        "PRIMARY KEY (`id`)",
        "KEY `idx_payments_tenant` (`tenant_id`)",
        "KEY `idx_payments_month` (`billing_month`)",
    ),
)

VISIT_LOGS = TableDef(
    "visit_logs",
    (
        ("id", "bigint(20) unsigned NOT NULL AUTO_INCREMENT"),
        ("tenant_id", "int(11) DEFAULT NULL"),
        ("room_id", "int(11) DEFAULT NULL"),
        ("event", "varchar(32) NOT NULL"),
        ("device_id", "varchar(64) DEFAULT NULL"),
        ("ip_address", "varchar(45) DEFAULT NULL"),
        ("user_agent", "varchar(512) DEFAULT NULL"),
        ("payload", "text DEFAULT NULL"),
        ("logged_at", "datetime NOT NULL"),
    ),
    ("PRIMARY KEY (`id`)", "KEY `idx_visit_logs_tenant` (`tenant_id`,`logged_at`)"),
)


def _mapped(
    canonical_table: str,
    columns: tuple[tuple[str, str], ...],
    keys: tuple[tuple[str, Optional[str], tuple[str, ...]], ...],
    config: Optional[Config],
) -> TableDef:
    """The table under the names ``config.tables`` gives it in the dump."""
    table, rename = canonical_table, {}
    if config is not None and canonical_table in config.tables:
        mapping = config.tables[canonical_table]
        table, rename = mapping.source, dict(mapping.columns)
    cols = tuple((rename.get(c, c), d) for c, d in columns)
    names = [c for c, _ in cols]
    if len(set(names)) != len(names):
        raise ValueError(f"config.tables.{canonical_table}: a mapped column name collides with a demo column")
    key_lines = []
    for kind, name, key_cols in keys:
        cols_sql = ",".join(backtick(rename.get(c, c)) for c in key_cols)
        key_lines.append(f"{kind} ({cols_sql})" if name is None else f"{kind} {backtick(name)} ({cols_sql})")
    return TableDef(table, cols, tuple(key_lines))


def pms_tables(config: Optional[Config] = None) -> dict[str, TableDef]:
    """Every table of the demo dump, keyed by role (canonical name or payments/visit_logs)."""
    tables = {
        "tenants": _mapped("tenants", _TENANTS, _TENANTS_KEYS, config),
        "rooms": _mapped("rooms", _ROOMS, _ROOMS_KEYS, config),
        "apartments": _mapped("apartments", _APARTMENTS, _APARTMENTS_KEYS, config),
        "payments": PAYMENTS,
        "visit_logs": VISIT_LOGS,
    }
    names = [t.name for t in tables.values()]
    if len(set(names)) != len(names):
        raise ValueError(f"config.tables maps a table onto a name the demo dump already uses: {names}")
    return tables


# ----------------------------------------------------------------------------- text


@functools.lru_cache(maxsize=4)
def text_pool(seed: int) -> str:
    """A long run of note-like Japanese text; notes are slices of it (cheap, varied, compressible
    about like real free text)."""
    rng = random.Random(f"text-pool-{seed}")
    words = [w if not w.isascii() else f" {w} " for w in vocab.NOTE_WORDS]
    return "".join(rng.choices(words, k=400_000))


def _slice(pool: str, rng: random.Random, lo: int, hi: int) -> str:
    n = rng.randint(lo, hi)
    if n <= 0:
        return ""
    off = rng.randrange(0, len(pool) - n)
    return pool[off : off + n]


def _time_of(key: int) -> int:
    """A deterministic office-hours second of the day (08:00-22:00) for a row change."""
    return 28800 + (key * 2654435761) % 50400


def _at(ordinal: int, key: int) -> dt.datetime:
    return dt.datetime.fromordinal(ordinal) + dt.timedelta(seconds=_time_of(key))


# ----------------------------------------------------------------------------- tenants


class TenantRenderer:
    """Row bytes of tenant versions; the dump-only columns derive from the tenant's seed."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.pool = text_pool(sim.seed)
        self.lo_notes, self.hi_notes = sim.profile.notes_chars
        self.lo_memo, self.hi_memo = sim.profile.memo_chars
        self.rooms = sim.rooms

    def static(self, t: Tenant) -> tuple[bytes, bytes, bytes]:
        """The three runs of dump-only columns that never change for a tenant row."""
        rng = random.Random(t.seed)
        pool = self.pool
        if t.foreign:
            kana = t.full_name.upper()
            nationality = rng.choice(vocab.NATIONALITIES[4:])
        else:
            kana = (
                "".join(rng.choices(vocab.KATAKANA, k=rng.randint(2, 5)))
                + " "
                + "".join(rng.choices(vocab.KATAKANA, k=rng.randint(2, 5)))
            )
            nationality = "日本"
        domain = rng.choice(("example.com", "example.jp", "example.net"))
        email = f"t{t.seed % 1000003:07d}.{rng.randint(1, 999)}@{domain}"
        phone = (
            None
            if rng.random() < 0.05
            else f"0{rng.choice((70, 80, 90))}-{rng.randint(0, 9999):04d}-{rng.randint(0, 9999):04d}"
        )
        birth = dt.date(1965, 1, 1).toordinal() + rng.randint(0, 41 * 365)
        room_id = t.versions[0][1][ROOM]
        rent = self.rooms[room_id - 1].rent if room_id else None
        deposit = None if rent is None else rng.choice((0, rent * 100, rent * 50))
        place, ward = rng.choice(vocab.PLACES)
        address = f"東京都{ward}{place}{rng.randint(1, 5)}丁目{rng.randint(1, 30)}-{rng.randint(1, 20)}"
        if rng.random() < 0.3:
            address += f" {rng.choice(vocab.SURNAMES)}ハイツ{rng.randint(101, 905)}号室"
        relation = rng.choice(vocab.EMERGENCY_RELATIONS)
        emergency = (
            f"{rng.choice(vocab.SURNAMES)} {rng.choice(vocab.GIVEN_NAMES)}（{relation}） "
            f"0{rng.choice((3, 6, 90, 80))}-{rng.randint(0, 9999):04d}-{rng.randint(0, 9999):04d} "
            + _slice(pool, rng, 0, 40)
        )
        notes: Optional[str] = _slice(pool, rng, self.lo_notes, self.hi_notes)
        if t.hostile_note >= 0:
            cut = rng.randint(0, len(notes or ""))
            notes = (notes or "")[:cut] + vocab.HOSTILE_NOTES[t.hostile_note] + (notes or "")[cut:]
        elif rng.random() < 0.05:
            notes = None
        memo = _slice(pool, rng, self.lo_memo, self.hi_memo) or None
        prefs = json.dumps(
            {
                "language": "en" if t.foreign else "ja",
                "newsletter": rng.random() < 0.4,
                "smoking": False,
                "pets": rng.random() < 0.05,
                "parking": None,
                "tags": [
                    rng.choice(("quiet", "early", "night", "remote-work", "student")),
                    rng.choice(("cooking", "music", "sports", "gaming", "reading")),
                ],
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )
        created = _at(t.created, t.id)
        a = b",".join(
            (
                sql_string(f"T{t.id:07d}"),
                sql_string(t.full_name),
                sql_string(kana),
                sql_string(email),
                sql_string(phone) if phone else b"NULL",
                sql_date(birth),
                sql_string(nationality),
            )
        )
        b = sql_int(rent) + b"," + sql_decimal(deposit)
        c = b",".join(
            (
                sql_string(address),
                sql_string(emergency),
                b"NULL" if notes is None else sql_string(notes),
                b"NULL" if memo is None else sql_string(memo),
                sql_string(prefs),
                sql_datetime(created),
            )
        )
        return a, b, c

    def updated_at(self, t: Tenant, vidx: int) -> dt.datetime:
        first = t.versions[vidx][0]
        if vidx == 0:  # the row as it was when the simulation starts: last touched some time before
            first = max(t.created, first - 1 - t.seed % 300) if t.created < first else first
        return _at(first, t.id * 31 + first)

    def row(self, t: Tenant, vidx: int, static: Optional[tuple[bytes, bytes, bytes]] = None) -> bytes:
        a, b, c = static or self.static(t)
        s = t.versions[vidx][1]
        return b"".join(
            (
                b"(",
                str(t.id).encode(),
                b",",
                a,
                b",",
                b",".join(
                    (
                        str(s[ST]).encode(),
                        str(s[CT]).encode(),
                        sql_int(s[APT]),
                        sql_int(s[ROOM]),
                        sql_date(s[APP]),
                        sql_date(s[MOVEIN]),
                        sql_date(s[PLANS]),
                        sql_date(s[MOVEOUT]),
                    )
                ),
                b",",
                b,
                b",",
                sql_int(s[PAY]),
                b",",
                c,
                b",",
                sql_datetime(self.updated_at(t, vidx)),
                b",0)",
            )
        )


def room_row(room: Room, vidx: int) -> bytes:
    first, active = room.versions[vidx]
    created = _at(room.created - 400 if vidx == 0 and room.created < first else room.created, room.id)
    updated = _at(first, room.id * 7 + first) if vidx > 0 else created
    return b"".join(
        (
            b"(",
            str(room.id).encode(),
            b",",
            sql_string(room.room_number),
            b",",
            str(room.floor).encode(),
            b",",
            sql_string(room.room_type),
            b",",
            sql_decimal(room.size_cents),
            b",",
            str(room.rent).encode(),
            b",",
            str(room.apartment_id).encode(),
            b",",
            str(active).encode(),
            b",",
            sql_datetime(created),
            b",",
            sql_datetime(updated),
            b")",
        )
    )


def apartment_row(apt: Apartment) -> bytes:
    return b"".join(
        (
            b"(",
            str(apt.id).encode(),
            b",",
            sql_string(apt.name),
            b",",
            sql_string(apt.area),
            b",",
            sql_string(apt.address),
            b",",
            str(apt.floors).encode(),
            b",",
            sql_date(apt.opened_on),
            b",",
            sql_datetime(_at(apt.opened_on, apt.id)),
            b")",
        )
    )


# ----------------------------------------------------------------------------- unrelated tables

#: rows per independently seeded chunk: row i depends only on its chunk, so every prefix is stable
_CHUNK = 4096


@functools.lru_cache(maxsize=1)
def _clock() -> list[str]:
    return [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86400)]


@functools.lru_cache(maxsize=4096)
def _day_str(ordinal: int) -> str:
    return dt.date.fromordinal(ordinal).isoformat()


def _chunk_rngs(table: str, seed: int, n: int) -> Iterator[tuple[int, int, np.random.Generator]]:
    """(first row, rows to use, generator) per chunk. Callers always draw a full chunk of
    values and use the first rows, so a row's values never depend on ``n``."""
    code = sum(table.encode()) * 7919
    for c in range((n + _CHUNK - 1) // _CHUNK):
        first = c * _CHUNK
        yield first, min(_CHUNK, n - first), np.random.default_rng([seed & 0xFFFFFFFF, code, c])


def payment_rows(seed: int, start: int, base: int, per_day: int, n: int, tenants: int) -> Iterator[bytes]:
    """Rows 1..n of ``payments``: ``base`` rows of history before ``start``, then ``per_day`` a day.

    Drawn with numpy per fixed-size chunk and formatted from pre-escaped pieces: a realistic
    dump has ~900k rows of these, rendered once per run.
    """
    clock = _clock()
    methods = vocab.PAYMENT_METHODS
    fees = ("0.00", "0.00", "330.00", "220.00", "110.00")
    kinds = ("振込確認済み", "引落済み", "カード決済", "一部入金")
    hostile = [sql_string(h).decode() for h in vocab.HOSTILE_NOTES]
    for first, k, g in _chunk_rngs("payments", seed, n):
        secs = g.integers(0, 86400, _CHUNK).tolist()
        late = g.integers(0, 600, _CHUNK).tolist()
        who = g.integers(1, tenants + 1, _CHUNK).tolist()
        amount = (g.integers(38, 98, _CHUNK) * 1000).tolist()
        fee = g.integers(0, len(fees), _CHUNK).tolist()
        method = g.integers(0, len(methods), _CHUNK).tolist()
        memo_r = g.random(_CHUNK).tolist()
        memo_k = g.integers(0, len(kinds), _CHUNK).tolist()
        host_k = g.integers(0, len(hostile), _CHUNK).tolist()
        for j in range(k):
            i = first + j + 1
            day = start - 730 + (i - 1) * 730 // base if i <= base else start + (i - base - 1) // per_day
            ds = _day_str(day)
            month = ds[:7]
            r = memo_r[j]
            if r < 0.002:
                memo = hostile[host_k[j]]
            elif r < 0.5:
                memo = f"'{int(ds[5:7])}月分 家賃 {kinds[memo_k[j]]}'"
            else:
                memo = "NULL"
            t2 = secs[j] + late[j]
            created = f"{ds} {clock[t2]}" if t2 < 86400 else f"{_day_str(day + 1)} {clock[t2 - 86400]}"
            yield (
                f"({i},{who[j]},'{month}',{amount[j]},{fees[fee[j]]},'{methods[method[j]]}',"
                f"'{ds} {clock[secs[j]]}','PAY-{month[:4]}{month[5:]}-{i:09d}',{memo},'{created}')"
            ).encode()


def visit_log_rows(
    seed: int, start: int, base: int, per_day: int, n: int, tenants: int, rooms: int
) -> Iterator[bytes]:
    """Rows 1..n of ``visit_logs`` (door locks, Wi-Fi, laundry), prefix-stable like payments."""
    clock = _clock()
    events = vocab.VISIT_EVENTS
    agents = [sql_string(a).decode() for a in vocab.USER_AGENTS]
    notes = ["", "ok", "retry", "低電圧", "timeout", "manual override"] + list(vocab.HOSTILE_NOTES)
    # the payload is JSON; the dump shows it SQL-escaped: {\"battery\":87,...}
    notes_sql = [escape(n.replace("\\", "\\\\").replace('"', '\\"')) for n in notes]
    q = '\\"'  # a JSON double quote as it looks inside the SQL string
    for first, k, g in _chunk_rngs("visit_logs", seed, n):
        secs = g.integers(0, 86400, _CHUNK).tolist()
        who = g.integers(0, tenants + 1, _CHUNK).tolist()
        room = g.integers(1, rooms + 1, _CHUNK).tolist()
        event = g.integers(0, len(events), _CHUNK).tolist()
        device = g.integers(1, rooms * 2 + 1, _CHUNK).tolist()
        octets = g.integers(0, 256, (_CHUNK, 3)).tolist()
        v6 = g.random(_CHUNK).tolist()
        agent = g.integers(0, len(agents), _CHUNK).tolist()
        battery = g.integers(5, 101, _CHUNK).tolist()
        rssi = g.integers(30, 96, _CHUNK).tolist()
        fw = g.integers(0, 21, _CHUNK).tolist()
        note_r = g.random(_CHUNK).tolist()
        note_k = g.integers(1, 6, _CHUNK).tolist()
        host_k = g.integers(6, len(notes), _CHUNK).tolist()
        for j in range(k):
            i = first + j + 1
            day = start - 60 + (i - 1) * 60 // base if i <= base else start + (i - base - 1) // per_day
            a, b, c = octets[j]
            ip = f"10.{a}.{b}.{c or 1}" if v6[j] < 0.8 else f"2001:db8:{a * 256 + b:x}::{c + 1:x}"
            r = note_r[j]
            note = notes_sql[host_k[j]] if r < 0.001 else notes_sql[note_k[j]] if r < 0.3 else ""
            yield (
                f"({i},{who[j] or 'NULL'},{room[j]},'{events[event[j]]}','LOCK-{device[j]:06d}','{ip}',"
                f"{agents[agent[j]]},'{{{q}battery{q}:{battery[j]},{q}rssi{q}:-{rssi[j]},"
                f"{q}fw{q}:{q}5.0.{fw[j]}{q},{q}note{q}:{q}{note}{q}}}','{_day_str(day)} {clock[secs[j]]}')"
            ).encode()
