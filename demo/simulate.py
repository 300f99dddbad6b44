"""A seeded simulation of the share-house PMS: who lives where, day by day.

The timeline is simulated once, forward from ``start``; what it produces is, per tenant, room
and apartment, a short list of *versions* (the row's values from a day on) plus the days the row
exists. Any day's table is then a lookup, so writing 30 dumps (or 400 days of lake partitions)
never re-simulates anything, and rendering a day is mostly joining cached row bytes.

Determinism: one ``random.Random(seed)`` drives the daily loop, and each day only draws what
that day needs, so a run of 10 days is the first 10 days of a run of 30 (prefix-stable): tests
can ask for "the truth of day D" without knowing how many days were generated.

Life of a tenant (status codes of SPEC Appendix A)::

    lead 0/1/16 --> 2 application (room assigned, application_date) --> 3 screening
        3 --> 11 rejected | 12 withdrawn (also from 2) | 4 contract (move_in_date, often future)
        4 --> 5 move-in scheduled (move_in_date in the future) | 8 cancelled (also from 5)
        5 --> 6 on move_in_date --> 7 at each contract renewal
        6/7 --> 9 notice (moveout_plans_date + moveout_date; they may differ) --> 10 moved out
        6/7 --> 14 long absence --> back to 6/7 (A->B->A)
        6/7 --> room transfer: room_id changes in place, or 15 on the old row + a new tenant row
        6/7/9 --> 13 evicted;  closed rows --> 17 archived, or deleted from the PMS
    leads are also deleted (spam, duplicates); rarely a row is missing from a dump or two.

Payment status: NULL until billed, 1 paid, 2 late, 3 in collection.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Optional

from demo import vocab

# status codes (SPEC Appendix A)
PROVISIONAL, INQUIRY, APPLICATION, SCREENING, CONTRACTING, SCHEDULED = 0, 1, 2, 3, 4, 5
RESIDING, RENEWED, CANCELLED, NOTICE, MOVED_OUT, REJECTED, WITHDRAWN = 6, 7, 8, 9, 10, 11, 12
EVICTED, ABSENT, TRANSFERRED, WATCH, ARCHIVED = 13, 14, 15, 16, 17

LEADS = (PROVISIONAL, INQUIRY, WATCH)
RESIDENT = (RESIDING, RENEWED)
BILLED = (CONTRACTING, SCHEDULED, RESIDING, RENEWED, NOTICE, ABSENT)
CLOSED = (CANCELLED, MOVED_OUT, REJECTED, WITHDRAWN, EVICTED, TRANSFERRED)

#: contract_type code -> (name, term in months)
CONTRACT_TYPES = {1: ("standard", 12), 2: ("short-term", 3), 3: ("corporate", 24), 4: ("student", 6)}
PAID, LATE, COLLECTION = 1, 2, 3

# index of each canonical field in a tenant state tuple
ST, CT, PAY, APT, ROOM, APP, MOVEIN, MOVEOUT, PLANS = range(9)
STATE_FIELDS = (
    "status",
    "contract_type",
    "payment_status",
    "apartment_id",
    "room_id",
    "application_date",
    "move_in_date",
    "moveout_date",
    "moveout_plans_date",
)

_EPOCH = dt.date(1970, 1, 1).toordinal()


@dataclass(frozen=True)
class Profile:
    """Size and pace of a simulated company. Rates are per day (hazards per resident per day)."""

    name: str
    apartments: int
    rooms_per_apartment: tuple[int, int]
    occupancy: float
    #: share of vacant rooms with an application/contract in progress at the start
    pipeline_share: float
    historic_tenants: int
    initial_leads: int
    leads_per_day: float
    notice_rate: float
    absence_rate: float
    transfer_rate: float
    eviction_rate: float
    payment_change_rate: float
    room_toggle_rate: float
    gap_rate: float
    new_apartment_every: int
    # wide text columns (characters)
    notes_chars: tuple[int, int]
    memo_chars: tuple[int, int]
    # unrelated tables: rows at the start and appended per day
    payments_rows: int
    payments_per_day: int
    visit_logs_rows: int
    visit_logs_per_day: int


PROFILES: dict[str, Profile] = {
    # busier than life on purpose: every kind of event happens within a 30-day run
    "small": Profile(
        name="small",
        apartments=15,
        rooms_per_apartment=(8, 12),
        occupancy=0.8,
        pipeline_share=0.35,
        historic_tenants=110,
        initial_leads=12,
        leads_per_day=2.5,
        notice_rate=1 / 110,
        absence_rate=1 / 250,
        transfer_rate=1 / 250,
        eviction_rate=1 / 2500,
        payment_change_rate=1 / 60,
        room_toggle_rate=1 / 120,
        gap_rate=0.08,
        new_apartment_every=12,
        notes_chars=(10, 160),
        memo_chars=(0, 60),
        payments_rows=3000,
        payments_per_day=40,
        visit_logs_rows=6000,
        visit_logs_per_day=120,
    ),
    # the production company: ~28k tenant rows, ~12k rooms, ~100 MB tenants section per dump
    "realistic": Profile(
        name="realistic",
        apartments=1200,
        rooms_per_apartment=(7, 13),
        occupancy=0.86,
        pipeline_share=0.25,
        historic_tenants=16800,
        initial_leads=250,
        leads_per_day=55.0,
        notice_rate=1 / 520,
        absence_rate=1 / 2500,
        transfer_rate=1 / 3000,
        eviction_rate=1 / 40000,
        payment_change_rate=1 / 90,
        room_toggle_rate=1 / 2500,
        gap_rate=0.3,
        new_apartment_every=20,
        notes_chars=(650, 1150),
        memo_chars=(150, 480),
        payments_rows=560_000,
        payments_per_day=950,
        visit_logs_rows=300_000,
        visit_logs_per_day=2200,
    ),
}


def profile_named(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown demo profile {name!r} (known: {', '.join(PROFILES)})") from None


def add_months(ordinal: int, months: int) -> int:
    d = dt.date.fromordinal(ordinal)
    m0 = d.month - 1 + months
    y, m = d.year + m0 // 12, m0 % 12 + 1
    return dt.date(y, m, min(d.day, calendar.monthrange(y, m)[1])).toordinal()


def month_end(ordinal: int) -> int:
    d = dt.date.fromordinal(ordinal)
    return dt.date(d.year, d.month, calendar.monthrange(d.year, d.month)[1]).toordinal()


def to_date(ordinal: Optional[int]) -> Optional[dt.date]:
    return None if ordinal is None else dt.date.fromordinal(ordinal)


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


class _Bag:
    """A set with O(1) add/remove/random choice, iterated in a deterministic order."""

    def __init__(self) -> None:
        self.items: list[int] = []
        self.pos: dict[int, int] = {}

    def add(self, x: int) -> None:
        if x not in self.pos:
            self.pos[x] = len(self.items)
            self.items.append(x)

    def discard(self, x: int) -> None:
        i = self.pos.pop(x, None)
        if i is None:
            return
        last = self.items.pop()
        if i < len(self.items):
            self.items[i] = last
            self.pos[last] = i

    def choice(self, rng: random.Random) -> int:
        return self.items[rng.randrange(len(self.items))]

    def __len__(self) -> int:
        return len(self.items)


class Tenant:
    """One row of ``tenants`` over time.

    ``versions`` is a list of ``(first_day, state)`` (ordinals; state = the canonical fields in
    :data:`STATE_FIELDS` order); the row exists on ``created <= day < deleted`` except the
    ``hidden`` half-open intervals. ``seed`` derives every dump-only column (kana, address,
    notes, ...) so they cost no memory until a dump is written.
    """

    __slots__ = (
        "id",
        "full_name",
        "seed",
        "created",
        "deleted",
        "hidden",
        "versions",
        "term",
        "next_renewal",
        "prev_status",
        "hostile_note",
        "foreign",
    )

    def __init__(
        self, tid: int, full_name: str, seed: int, created: int, state: tuple, foreign: bool
    ) -> None:
        self.id = tid
        self.full_name = full_name
        self.seed = seed
        self.created = created
        self.deleted: Optional[int] = None
        self.hidden: list[tuple[int, int]] = []
        self.versions: list[tuple[int, tuple]] = [(created, state)]
        self.term = 12
        self.next_renewal: Optional[int] = None
        self.prev_status = RESIDING
        self.hostile_note = -1
        self.foreign = foreign

    @property
    def state(self) -> tuple:
        return self.versions[-1][1]

    def present(self, day: int) -> bool:
        if day < self.created or (self.deleted is not None and day >= self.deleted):
            return False
        return not any(a <= day < b for a, b in self.hidden)

    def version_index(self, day: int) -> int:
        """Index of the version in force on ``day`` (the row must exist that day)."""
        vs = self.versions
        if len(vs) == 1 or day >= vs[-1][0]:
            return len(vs) - 1
        return bisect.bisect_right([v[0] for v in vs], day) - 1


class Room:
    __slots__ = (
        "id",
        "apartment_id",
        "room_number",
        "floor",
        "room_type",
        "size_cents",
        "rent",
        "created",
        "versions",
    )

    def __init__(self, rid: int, apartment_id: int, room_number: str, floor: int, created: int) -> None:
        self.id = rid
        self.apartment_id = apartment_id
        self.room_number = room_number
        self.floor = floor
        self.room_type = ""
        self.size_cents = 0
        self.rent = 0
        self.created = created
        #: (first_day, is_active)
        self.versions: list[tuple[int, int]] = [(created, 1)]

    def version_index(self, day: int) -> int:
        vs = self.versions
        if len(vs) == 1 or day >= vs[-1][0]:
            return len(vs) - 1
        return bisect.bisect_right([v[0] for v in vs], day) - 1

    @property
    def active(self) -> int:
        return self.versions[-1][1]


@dataclass
class Apartment:
    id: int
    name: str
    area: str
    address: str
    opened_on: int
    floors: int
    created: int


@dataclass(frozen=True)
class Event:
    day: dt.date
    tenant_id: int
    kind: str
    detail: str = ""


class Simulation:
    """The PMS from ``start`` for ``days`` days. Build with :func:`simulate` (cached)."""

    def __init__(self, profile: Profile, seed: int, start: dt.date, days: int) -> None:
        if days < 1:
            raise ValueError(f"days must be >= 1, got {days}")
        self.profile = profile
        self.seed = seed
        self.start = start.toordinal()
        self.days = days
        self.end = self.start + days  # exclusive
        self.rng = random.Random(f"pms-{profile.name}-{seed}")
        self.tenants: list[Tenant] = []
        self.by_id: dict[int, Tenant] = {}
        self.rooms: list[Room] = []
        self.apartments: list[Apartment] = []
        self.events: list[Event] = []
        self._agenda: dict[int, list[tuple[int, str, Any]]] = {}
        self._holder: dict[int, int] = {}
        self._vacant = _Bag()
        self._residents = _Bag()
        self._billed = _Bag()
        self._next_tid = 1
        self._day = self.start
        self._used_names: set[str] = set()
        self._populate()
        for day in range(self.start + 1, self.end):
            self._step(day)

    # ------------------------------------------------------------------ queries

    def dates(self) -> list[dt.date]:
        return [dt.date.fromordinal(o) for o in range(self.start, self.end)]

    def tenants_on(self, day: dt.date) -> Iterator[tuple[Tenant, int]]:
        """(tenant, version index) of every row in that day's dump, in id order."""
        o = day.toordinal()
        self.check_day(o)
        for t in self.tenants:
            if t.present(o):
                yield t, t.version_index(o)

    def rooms_on(self, day: dt.date) -> Iterator[tuple[Room, int]]:
        o = day.toordinal()
        self.check_day(o)
        for r in self.rooms:
            if r.created <= o:
                yield r, r.version_index(o)

    def apartments_on(self, day: dt.date) -> Iterator[Apartment]:
        o = day.toordinal()
        self.check_day(o)
        return (a for a in self.apartments if a.created <= o)

    def max_tenant_id(self, day: dt.date) -> int:
        o = day.toordinal()
        return max((t.id for t in self.tenants if t.created <= o), default=0)

    def check_day(self, o: int) -> None:
        """Raise ValueError naming the simulated range when ordinal ``o`` is outside it."""
        if not self.start <= o < self.end:
            raise ValueError(
                f"{dt.date.fromordinal(o)} is outside the simulated days "
                f"{dt.date.fromordinal(self.start)}..{dt.date.fromordinal(self.end - 1)}"
            )

    def payments_rows(self, day: dt.date) -> int:
        return self.profile.payments_rows + self.profile.payments_per_day * (day.toordinal() - self.start)

    def visit_logs_rows(self, day: dt.date) -> int:
        return self.profile.visit_logs_rows + self.profile.visit_logs_per_day * (day.toordinal() - self.start)

    # ------------------------------------------------------------------ building blocks

    def _event(self, day: int, t: Tenant, kind: str, detail: str = "") -> None:
        self.events.append(Event(dt.date.fromordinal(day), t.id, kind, detail))

    def _schedule(self, day: int, t: Tenant, action: str, arg: Any = None) -> None:
        self._agenda.setdefault(day, []).append((t.id, action, arg))

    def _new_name(self) -> tuple[str, bool]:
        rng = self.rng
        for _ in range(20):
            if rng.random() < 0.15:
                name, foreign = rng.choice(vocab.FOREIGN_NAMES), True
            else:
                name, foreign = f"{rng.choice(vocab.SURNAMES)} {rng.choice(vocab.GIVEN_NAMES)}", False
            if name not in self._used_names or foreign:
                break
        self._used_names.add(name)
        return name, foreign

    def _new_tenant(self, created: int, state: tuple, name: Optional[str] = None) -> Tenant:
        foreign = False
        if name is None:
            name, foreign = self._new_name()
        t = Tenant(self._next_tid, name, self.rng.getrandbits(48), created, state, foreign)
        self._next_tid += 1
        self.tenants.append(t)
        self.by_id[t.id] = t
        self._track(t, state[ST])
        return t

    def _set(self, t: Tenant, day: int, **changes: Any) -> None:
        """Change canonical fields from ``day`` on (a same-day change replaces that day's version)."""
        old = t.state
        new = list(old)
        for key, value in changes.items():
            new[STATE_FIELDS.index(key)] = value
        state = tuple(new)
        if state == old:
            return
        if t.versions[-1][0] == day:
            t.versions[-1] = (day, state)
        else:
            t.versions.append((day, state))
        if old[ST] != state[ST]:
            self._track(t, state[ST])

    def _track(self, t: Tenant, new: int) -> None:
        """Keep the random-pick pools (residents, billed tenants) in step with a new status."""
        if new in RESIDENT:
            self._residents.add(t.id)
        else:
            self._residents.discard(t.id)
        if new in BILLED:
            self._billed.add(t.id)
        else:
            self._billed.discard(t.id)

    def _hold(self, room_id: int, t: Tenant) -> None:
        self._holder[room_id] = t.id
        self._vacant.discard(room_id)

    def _release(self, room_id: Optional[int], t: Tenant) -> None:
        if room_id is not None and self._holder.get(room_id) == t.id:
            del self._holder[room_id]
            if self.rooms[room_id - 1].active:
                self._vacant.add(room_id)

    def _room_apartment(self, room_id: int) -> int:
        return self.rooms[room_id - 1].apartment_id

    def _term(self, contract_type: int) -> int:
        return CONTRACT_TYPES[contract_type][1]

    def _contract_type(self) -> int:
        r = self.rng.random()
        return 1 if r < 0.55 else 2 if r < 0.8 else 3 if r < 0.9 else 4

    # ------------------------------------------------------------------ the company at `start`

    def _add_apartment(self, created: int, opened_on: int) -> Apartment:
        rng = self.rng
        place, ward = rng.choice(vocab.PLACES)
        name = f"{rng.choice(vocab.HOUSE_PREFIXES)}{place}{rng.choice(vocab.HOUSE_SUFFIXES)}"
        taken = {a.name for a in self.apartments}
        n = 2
        base = name
        while name in taken:
            name = f"{base} {n}"
            n += 1
        apt = Apartment(
            id=len(self.apartments) + 1,
            name=name,
            area=ward,
            address=f"東京都{ward}{place}{rng.randint(1, 5)}丁目{rng.randint(1, 30)}-{rng.randint(1, 20)}",
            opened_on=opened_on,
            floors=rng.randint(2, 5),
            created=created,
        )
        self.apartments.append(apt)
        lo, hi = self.profile.rooms_per_apartment
        count = rng.randint(lo, hi)
        per_floor = max(1, math.ceil(count / apt.floors))
        for i in range(count):
            floor = 1 + i // per_floor
            room = Room(len(self.rooms) + 1, apt.id, f"{floor}{i % per_floor + 1:02d}", floor, created)
            room.room_type = rng.choice(vocab.ROOM_TYPES)
            room.size_cents = rng.randint(60, 180) * 10
            room.rent = rng.randrange(38000, 98000, 1000)
            self.rooms.append(room)
            self._vacant.add(room.id)
        return apt

    def _populate(self) -> None:
        rng, p, s = self.rng, self.profile, self.start
        for _ in range(p.apartments):
            self._add_apartment(s, s - rng.randint(200, 3000))
        # every tenant that exists at `start`, created in the past; ids follow creation order
        specs: list[tuple[int, tuple, dict]] = []
        for room in self.rooms:
            if rng.random() < p.occupancy:
                specs.append(self._resident_spec(room))
            elif rng.random() < p.pipeline_share:
                specs.append(self._pipeline_spec(room))
        for _ in range(p.historic_tenants):
            specs.append(self._historic_spec())
        for _ in range(p.initial_leads):
            created = s - rng.randint(0, 6)
            specs.append((created, (rng.choice((INQUIRY, INQUIRY, PROVISIONAL, WATCH)),) + (None,) * 8, {}))
        specs.sort(key=lambda x: x[0])
        for created, state, plan in specs:
            st = list(state)
            if st[CT] is None:
                st[CT] = 1
            t = self._new_tenant(created, tuple(st))
            t.versions = [(s, t.state)]  # the one state every initial row has in the first dump
            self._apply_plan(t, plan)
        self._assign_hostile_strings()

    def _resident_spec(self, room: Room) -> tuple[int, tuple, dict]:
        rng, s = self.rng, self.start
        ctype = self._contract_type()
        term = self._term(ctype)
        move_in = s - rng.randint(1, 1400)
        app = move_in - rng.randint(7, 45)
        renewal, n = move_in, 0
        while renewal <= s:
            n += 1
            renewal = add_months(move_in, term * n)
        status = RENEWED if n >= 2 else RESIDING
        pay = PAID
        r = rng.random()
        if r < 0.04:
            pay = LATE
        elif r < 0.045:
            pay = COLLECTION
        plan: dict[str, Any] = {"room": room.id, "term": term, "renewal": renewal, "pay": pay}
        moveout = plans = None
        r = rng.random()
        if r < 0.06:  # notice already given: moves out within the first weeks
            status = NOTICE
            plans = s + rng.randint(0, 40) if r < 0.05 else s - rng.randint(0, 2)
            moveout = self._moveout_date(plans)
            plan["moveout"] = max(plans, s) + rng.randint(1, 3)
        elif r < 0.075:
            plan["prev"] = status
            status = ABSENT
            plan["return"] = s + rng.randint(1, 10)
        state = (status, ctype, pay, room.apartment_id, room.id, app, move_in, moveout, plans)
        return app, state, plan

    def _pipeline_spec(self, room: Room) -> tuple[int, tuple, dict]:
        rng, s = self.rng, self.start
        status = rng.choice((APPLICATION, SCREENING, SCREENING, CONTRACTING, SCHEDULED, SCHEDULED))
        app = s - rng.randint(0, 12)
        move_in = None
        if status == SCHEDULED or (status == CONTRACTING and rng.random() < 0.5):
            move_in = s + rng.randint(1, 30)
        state = (status, self._contract_type(), None, room.apartment_id, room.id, app, move_in, None, None)
        return app, state, {"room": room.id, "pipeline": True}

    def _historic_spec(self) -> tuple[int, tuple, dict]:
        rng, s = self.rng, self.start
        r = rng.random()
        status = (
            MOVED_OUT
            if r < 0.6
            else REJECTED
            if r < 0.67
            else WITHDRAWN
            if r < 0.77
            else CANCELLED
            if r < 0.82
            else ARCHIVED
            if r < 0.96
            else EVICTED
            if r < 0.98
            else TRANSFERRED
        )
        app = s - rng.randint(30, 2600)
        room = rng.choice(self.rooms)
        ctype = self._contract_type()
        apt, rid, move_in, moveout, plans, pay = room.apartment_id, room.id, None, None, None, None
        if status in (MOVED_OUT, EVICTED, TRANSFERRED, ARCHIVED):
            move_in = app + rng.randint(7, 40)
            plans = min(move_in + rng.randint(60, 1100), s - 3)
            moveout = self._moveout_date(plans)
            pay = PAID
            if status == ARCHIVED and rng.random() < 0.4:  # an archived lead that never applied
                apt = rid = move_in = moveout = plans = pay = None
        elif status == CANCELLED:
            move_in = app + rng.randint(10, 40)
        state = (status, ctype, pay, apt, rid, app, move_in, moveout, plans)
        return app, state, {"closed": True}

    def _apply_plan(self, t: Tenant, plan: dict) -> None:
        """Room holding and the future events of a tenant that existed at `start`."""
        rng, s, st = self.rng, self.start, t.state
        if "room" in plan:
            self._hold(plan["room"], t)
        if "term" in plan:
            t.term = plan["term"]
            t.next_renewal = plan["renewal"]
            self._schedule(plan["renewal"], t, "renew", plan["renewal"])
            if plan["pay"] == LATE:
                self._schedule(s + rng.randint(1, 10), t, "paid")
        if "moveout" in plan:
            self._schedule(plan["moveout"], t, "move_out")
        if "return" in plan:
            t.prev_status = plan["prev"]
            self._schedule(plan["return"], t, "return")
        if plan.get("pipeline"):
            if st[ST] == SCHEDULED:
                self._schedule(st[MOVEIN], t, "move_in")
            else:
                self._schedule(s + rng.randint(1, 3), t, _NEXT_STEP[st[ST]])
        if plan.get("closed") and rng.random() < 0.08:
            self._schedule(s + rng.randint(1, 60), t, "cleanup")
        if st[ST] in LEADS:
            self._schedule(s + rng.randint(1, 5), t, "lead")

    def _assign_hostile_strings(self) -> None:
        """Give every hostile name and note to at least one tenant (residents first)."""
        rng = self.rng
        residents = [t for t in self.tenants if t.state[ST] in RESIDENT] or self.tenants
        picks = rng.sample(residents, min(len(residents), len(vocab.HOSTILE_NAMES)))
        for t, name in zip(picks, vocab.HOSTILE_NAMES):
            t.full_name = name
        for i, t in enumerate(rng.sample(self.tenants, min(len(self.tenants), len(vocab.HOSTILE_NOTES)))):
            t.hostile_note = i
        for t in self.tenants:
            if t.hostile_note < 0 and rng.random() < 0.03:
                t.hostile_note = rng.randrange(len(vocab.HOSTILE_NOTES))

    def _moveout_date(self, plans: int) -> int:
        """The contractual move-out date: usually the declared one, else month end or a few days off."""
        r = self.rng.random()
        if r < 0.55:
            return plans
        if r < 0.8:
            return month_end(plans)
        return plans + self.rng.choice((-5, -3, -2, 2, 3, 7, 10, 14))

    # ------------------------------------------------------------------ one day

    def _step(self, day: int) -> None:
        self._day = day
        rng, p = self.rng, self.profile
        for tid, action, arg in self._agenda.pop(day, ()):
            if action == "reopen":  # a room back from renovation (tid 0: not a tenant event)
                room = self.rooms[arg - 1]
                room.versions.append((day, 1))
                if arg not in self._holder:
                    self._vacant.add(arg)
                continue
            t = self.by_id[tid]
            if t.deleted is None:
                getattr(self, "_on_" + action)(t, day, arg)
        # hazards of residents
        for rate, handler in (
            (p.notice_rate, self._notice),
            (p.absence_rate, self._absence),
            (p.transfer_rate, self._transfer),
            (p.eviction_rate, self._evict),
        ):
            for _ in range(_poisson(rng, rate * len(self._residents))):
                if len(self._residents):
                    handler(self.by_id[self._residents.choice(rng)], day)
        for _ in range(_poisson(rng, p.payment_change_rate * len(self._billed))):
            if len(self._billed):
                self._payment_change(self.by_id[self._billed.choice(rng)], day)
        for _ in range(_poisson(rng, p.leads_per_day)):
            status = rng.choice((INQUIRY, INQUIRY, INQUIRY, PROVISIONAL, WATCH))
            t = self._new_tenant(day, (status, 1) + (None,) * 7)
            self._event(day, t, "lead", str(status))
            self._schedule(day + rng.randint(1, 6), t, "lead")
        for _ in range(_poisson(rng, p.room_toggle_rate * len(self._vacant))):
            if len(self._vacant):
                room = self.rooms[self._vacant.choice(rng) - 1]
                room.versions.append((day, 0))
                self._vacant.discard(room.id)
                self._agenda.setdefault(day + rng.randint(4, 30), []).append((0, "reopen", room.id))
        if (day - self.start) % p.new_apartment_every == p.new_apartment_every // 2:
            apt = self._add_apartment(day, day)
            self.events.append(Event(dt.date.fromordinal(day), 0, "new_apartment", apt.name))
        for _ in range(_poisson(rng, p.gap_rate)):
            t = rng.choice(self.tenants)
            if t.deleted is None and t.created < day:
                gap = (day, day + rng.randint(1, 2))
                t.hidden.append(gap)
                self._event(day, t, "missing_from_dump", f"{gap[1] - gap[0]} day(s)")

    # agenda handlers: each checks the tenant is still where the plan expected it

    def _on_lead(self, t: Tenant, day: int, _arg: Any) -> None:
        rng, st = self.rng, t.state[ST]
        if st not in LEADS:
            return
        if st == PROVISIONAL and rng.random() < 0.5:
            self._set(t, day, status=INQUIRY)
            self._schedule(day + rng.randint(1, 5), t, "lead")
            return
        r = rng.random()
        if r < (0.3 if st == WATCH else 0.55):
            if not len(self._vacant):
                self._schedule(day + rng.randint(2, 5), t, "lead")
                return
            room = self._vacant.choice(rng)
            self._hold(room, t)
            self._set(
                t,
                day,
                status=APPLICATION,
                room_id=room,
                apartment_id=self._room_apartment(room),
                application_date=day,
            )
            self._event(day, t, "application", f"room {room}")
            self._schedule(day + rng.randint(1, 3), t, "screen")
        elif r < 0.72:
            t.deleted = day
            self._track(t, ARCHIVED)  # out of every pick pool
            self._event(day, t, "deleted", "lead")
        else:
            self._set(t, day, status=ARCHIVED)
            self._event(day, t, "archived")

    def _on_screen(self, t: Tenant, day: int, _arg: Any) -> None:
        if t.state[ST] != APPLICATION:
            return
        if self.rng.random() < 0.13:
            self._close(t, day, WITHDRAWN, "withdrawal")
        else:
            self._set(t, day, status=SCREENING)
            self._event(day, t, "screening")
            self._schedule(day + self.rng.randint(2, 6), t, "decide")

    def _on_decide(self, t: Tenant, day: int, _arg: Any) -> None:
        rng = self.rng
        if t.state[ST] != SCREENING:
            return
        r = rng.random()
        if r < 0.14:
            self._close(t, day, REJECTED, "rejection")
        elif r < 0.24:
            self._close(t, day, WITHDRAWN, "withdrawal")
        else:
            move_in = day + rng.randint(7, 40) if rng.random() < 0.5 else None
            self._set(t, day, status=CONTRACTING, move_in_date=move_in)
            self._event(day, t, "contract", "move-in date set" if move_in else "")
            self._schedule(day + rng.randint(1, 4), t, "confirm")

    def _on_confirm(self, t: Tenant, day: int, _arg: Any) -> None:
        rng, st = self.rng, t.state
        if st[ST] != CONTRACTING:
            return
        if rng.random() < 0.08:
            self._close(t, day, CANCELLED, "cancellation", "before move-in (4)")
            return
        move_in = st[MOVEIN] if st[MOVEIN] is not None and st[MOVEIN] > day else day + rng.randint(5, 35)
        self._set(t, day, status=SCHEDULED, move_in_date=move_in)
        self._event(day, t, "move_in_scheduled", to_date(move_in).isoformat())
        self._schedule(move_in, t, "move_in")
        if rng.random() < 0.12 and move_in - day > 1:
            self._schedule(day + rng.randint(1, move_in - day - 1), t, "cancel")

    def _on_cancel(self, t: Tenant, day: int, _arg: Any) -> None:
        if t.state[ST] == SCHEDULED:
            self._close(t, day, CANCELLED, "cancellation", "before move-in (5)")

    def _on_move_in(self, t: Tenant, day: int, _arg: Any) -> None:
        st = t.state
        if st[ST] != SCHEDULED or st[MOVEIN] != day:
            return
        t.term = self._term(st[CT])
        t.next_renewal = add_months(day, t.term)
        self._set(t, day, status=RESIDING, payment_status=PAID)
        self._event(day, t, "move_in")
        self._schedule(t.next_renewal, t, "renew", t.next_renewal)

    def _on_renew(self, t: Tenant, day: int, due: int) -> None:
        st = t.state
        if t.next_renewal != due:
            return
        if st[ST] == ABSENT:  # renewed when back
            self._schedule(day + 3, t, "renew", due)
            return
        if st[ST] not in RESIDENT:
            return
        ctype = st[CT]
        if ctype == 2 and self.rng.random() < 0.2:
            ctype = 1  # short-term tenant switches to a standard contract
        t.term = self._term(ctype)
        t.next_renewal = add_months(due, t.term)
        self._set(t, day, status=RENEWED, contract_type=ctype)
        self._event(day, t, "renewal", f"{st[ST]}->7")
        self._schedule(t.next_renewal, t, "renew", t.next_renewal)

    def _on_move_out(self, t: Tenant, day: int, _arg: Any) -> None:
        if t.state[ST] != NOTICE:
            return
        self._close(t, day, MOVED_OUT, "move_out")

    def _on_return(self, t: Tenant, day: int, _arg: Any) -> None:
        if t.state[ST] != ABSENT:
            return
        self._set(t, day, status=t.prev_status)
        self._event(day, t, "absence_end", f"14->{t.prev_status}")

    def _on_paid(self, t: Tenant, day: int, _arg: Any) -> None:
        if t.state[ST] in BILLED and t.state[PAY] in (LATE, COLLECTION):
            self._set(t, day, payment_status=PAID)
            self._event(day, t, "payment_status", "->1")

    def _on_cleanup(self, t: Tenant, day: int, _arg: Any) -> None:
        st = t.state[ST]
        if st not in CLOSED and st != ARCHIVED:
            return
        r = self.rng.random()
        if r < 0.25:
            t.deleted = day
            self._event(day, t, "deleted", f"closed ({st})")
        elif r < 0.7 and st != ARCHIVED:
            self._set(t, day, status=ARCHIVED)
            self._event(day, t, "archived")

    def _close(self, t: Tenant, day: int, status: int, kind: str, detail: str = "") -> None:
        self._release(t.state[ROOM], t)
        self._set(t, day, status=status)
        self._event(day, t, kind, detail)
        self._schedule(day + self.rng.randint(20, 120), t, "cleanup")

    # hazards

    def _notice(self, t: Tenant, day: int) -> None:
        rng = self.rng
        plans = day + rng.randint(14, 45)
        moveout = max(self._moveout_date(plans), day + 1)
        self._set(t, day, status=NOTICE, moveout_plans_date=plans, moveout_date=moveout)
        self._event(day, t, "notice", f"plans {to_date(plans)} contract {to_date(moveout)}")
        self._schedule(plans + rng.randint(1, 3), t, "move_out")

    def _absence(self, t: Tenant, day: int) -> None:
        t.prev_status = t.state[ST]
        self._set(t, day, status=ABSENT)
        self._event(day, t, "absence", f"{t.prev_status}->14")
        self._schedule(day + self.rng.randint(2, 12), t, "return")

    def _transfer(self, t: Tenant, day: int) -> None:
        rng, st = self.rng, t.state
        if not len(self._vacant):
            return
        room = self._vacant.choice(rng)
        apt = self._room_apartment(room)
        self._release(st[ROOM], t)
        if rng.random() < 0.5:
            self._hold(room, t)
            self._set(t, day, room_id=room, apartment_id=apt)
            self._event(day, t, "room_transfer", f"in place: room {st[ROOM]} -> {room}")
            return
        self._set(t, day, status=TRANSFERRED, moveout_plans_date=day, moveout_date=day)
        new = self._new_tenant(
            day,
            (RESIDING, st[CT], st[PAY], apt, room, day - rng.randint(5, 20), day, None, None),
            name=t.full_name,
        )
        new.seed, new.foreign, new.hostile_note = t.seed, t.foreign, t.hostile_note
        self._hold(room, new)
        new.term = self._term(st[CT])
        new.next_renewal = add_months(day, new.term)
        self._schedule(new.next_renewal, new, "renew", new.next_renewal)
        self._event(day, t, "room_transfer", f"new row {new.id}: room {st[ROOM]} -> {room}")
        self._schedule(day + rng.randint(20, 120), t, "cleanup")

    def _evict(self, t: Tenant, day: int) -> None:
        self._release(t.state[ROOM], t)
        self._set(t, day, status=EVICTED, moveout_date=day, moveout_plans_date=day)
        self._event(day, t, "eviction")

    def _payment_change(self, t: Tenant, day: int) -> None:
        rng, pay = self.rng, t.state[PAY]
        if pay is None:
            new = PAID
        elif pay == PAID:
            new = LATE
            self._schedule(day + rng.randint(2, 15), t, "paid")
        elif pay == LATE:
            new = COLLECTION if rng.random() < 0.2 else PAID
        else:
            new = PAID
        self._set(t, day, payment_status=new)
        self._event(day, t, "payment_status", f"{pay}->{new}")


_NEXT_STEP = {APPLICATION: "screen", SCREENING: "decide", CONTRACTING: "confirm"}


_CACHE: dict[tuple, Simulation] = {}


def simulate(start: dt.date, days: int, profile: str = "small", seed: int = 7) -> Simulation:
    """The simulation of ``days`` days from ``start`` (the last few are kept in memory)."""
    key = (profile, seed, start, days)
    sim = _CACHE.get(key)
    if sim is None:
        sim = Simulation(profile_named(profile), seed, start, days)
        if len(_CACHE) >= 3:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = sim
    return sim


def date_to_days(ordinal: int) -> int:
    """Days since 1970-01-01 (Arrow date32) from a proleptic ordinal."""
    return ordinal - _EPOCH
