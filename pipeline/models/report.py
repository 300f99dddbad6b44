"""What one models run did, as the child reports it to the job (and the job to the operator)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

from pipeline.models.planning import BACKFILL, ModelsPlan


@dataclass
class ModelsReport:
    #: "plan", "run", "backfill", or "dry-run"
    action: str = ""
    #: why that action: "first build", "models changed", "new snapshots", "up to date", ...
    reason: str = ""
    #: T, the latest committed day of the lake (the as-of date of the run)
    as_of: Optional[dt.date] = None
    #: the warehouse's latest computed day before this run (None on a first build)
    previous_as_of: Optional[dt.date] = None
    #: lake days newer than previous_as_of, computed by this run
    new_days: list[dt.date] = field(default_factory=list)
    #: (start, end) ranges restated, in order
    restated: list[tuple[dt.date, dt.date]] = field(default_factory=list)
    #: days whose lake content differed from what the warehouse computed them from
    reconciled_days: list[dt.date] = field(default_factory=list)
    #: days an interrupted earlier run had begun to compute (recomputed whatever they hold)
    interrupted_days: list[dt.date] = field(default_factory=list)
    #: True when SQLMesh had nothing to compute
    nothing_to_do: bool = False
    seconds: float = 0.0
    #: seconds per step of the SQLMesh child: load, diff, plan/run, restate
    steps: dict[str, float] = field(default_factory=dict)
    #: what the analysts' marts export did after the run (set by the job, lake/marts.py)
    marts: str = ""

    @classmethod
    def from_plan(cls, plan: ModelsPlan, interrupted: Sequence[dt.date] = ()) -> ModelsReport:
        return cls(
            action=plan.action,
            reason=plan.reason,
            as_of=plan.as_of,
            previous_as_of=plan.previous_as_of,
            new_days=list(plan.new_days),
            restated=list(plan.restate + plan.restate_after),
            reconciled_days=list(plan.mismatched_days),
            interrupted_days=sorted(interrupted),
        )

    def summary(self) -> str:
        return self._summary() + (f"\n{self.marts}" if self.marts else "")

    def _summary(self) -> str:
        if BACKFILL in (self.action, self.reason.split(" ")[0]):  # a backfill, or its dry run
            return self._backfill_summary()
        if self.action == "dry-run":
            head = f"models (dry run): would {self.reason}"
        else:
            head = f"models: {self.action} ({self.reason})"
        parts = [f"{head}, as of {self.as_of}"]
        if self.new_days:
            parts.append(f"new snapshot days {days_text(self.new_days)}")
        elif self.action != "dry-run" and self.nothing_to_do and not self.restated:
            parts.append("nothing to compute")
        if self.restated:
            ranges = ", ".join(a.isoformat() if a == b else f"{a}..{b}" for a, b in self.restated)
            verb = "would restate" if self.action == "dry-run" else "restated"
            parts.append(f"{verb} {ranges}")
        if self.reconciled_days:
            parts.append(f"lake content changed on {days_text(self.reconciled_days)}")
        if self.interrupted_days:
            parts.append(f"an interrupted run had begun {days_text(self.interrupted_days)}")
        if self.action != "dry-run":
            parts.append(self._seconds())
        return "; ".join(parts)

    def _seconds(self) -> str:
        """The run's seconds, with the child's steps (load, diff or project, plan/run, restate)."""
        steps = ", ".join(f"{name} {s:.1f}s" for name, s in self.steps.items() if s >= 0.05)
        return f"{self.seconds:.1f}s" + (f" ({steps})" if steps else "")

    def _backfill_summary(self) -> str:
        ranges = ", ".join(a.isoformat() if a == b else f"{a}..{b}" for a, b in self.restated)
        if self.action == "dry-run":
            parts = [f"backfill (dry run): would recompute {ranges} in every model reading the lake"]
        else:
            parts = [f"backfill: recomputed {ranges} in every model reading the lake"]
        parts.append(f"nothing after (the warehouse stays as of {self.as_of})")
        if self.reconciled_days:
            parts.append(f"lake content changed on {days_text(self.reconciled_days)}")
        if self.action != "dry-run":
            parts.append(f"{self.seconds:.1f}s")
        return "; ".join(parts)

    def to_json(self) -> dict[str, Any]:
        def conv(v: Any) -> Any:
            if isinstance(v, dt.date):
                return v.isoformat()
            if isinstance(v, (list, tuple)):
                return [conv(x) for x in v]
            return v

        return {k: conv(v) for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModelsReport:
        def day(v: Optional[str]) -> Optional[dt.date]:
            return dt.date.fromisoformat(v) if v else None

        return cls(
            action=data["action"],
            reason=data["reason"],
            as_of=day(data["as_of"]),
            previous_as_of=day(data["previous_as_of"]),
            new_days=[dt.date.fromisoformat(x) for x in data["new_days"]],
            restated=[(dt.date.fromisoformat(a), dt.date.fromisoformat(b)) for a, b in data["restated"]],
            reconciled_days=[dt.date.fromisoformat(x) for x in data["reconciled_days"]],
            interrupted_days=[dt.date.fromisoformat(x) for x in data.get("interrupted_days", [])],
            nothing_to_do=bool(data["nothing_to_do"]),
            seconds=float(data["seconds"]),
            steps={k: float(v) for k, v in data.get("steps", {}).items()},
            marts=data.get("marts", ""),
        )


def days_text(days: Sequence[dt.date]) -> str:
    days = sorted(days)
    if len(days) <= 4:
        return ", ".join(d.isoformat() for d in days)
    return f"{days[0]}..{days[-1]} ({len(days)} days)"
