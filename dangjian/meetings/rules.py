"""Pure rules of organizational life: who is expected (应到) and whether a meeting had its quorum.

"半数以上" means strictly more than half; the base is the number who *should* attend (应到), not those
present (DOMAIN.md, quorum and vote counting).
"""

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

from dangjian.orgs.models import Category

from .models import AttendanceStatus


@dataclass(frozen=True)
class Person:
    """What the rules need of a roster member."""

    id: int
    name: str
    category: str
    admitted_on: dt.date | None
    full_on: dt.date | None

    def is_party_member_on(self, day: dt.date) -> bool:
        if self.category == Category.FULL:
            return True
        if self.category == Category.PROBATIONARY:
            return self.admitted_on is None or self.admitted_on <= day
        return False

    def is_full_member_on(self, day: dt.date) -> bool:
        return self.category == Category.FULL and (self.full_on is None or self.full_on <= day)


@dataclass(frozen=True)
class Quorum:
    rule: str | None  # "more_than_half" or None (no quorum rule)
    of: str  # "expected" or "voting"
    base: int  # 应到 (or 应到 with a vote)
    present: int  # 实到 among the base
    expected: int
    attended: int
    on_leave: int
    absent: int

    @property
    def required(self) -> int:
        """The fewest present that satisfy the rule."""
        return self.base // 2 + 1

    @property
    def met(self) -> bool | None:
        if self.rule is None:
            return None
        return self.base > 0 and self.present * 2 > self.base

    @property
    def explanation(self) -> str:
        label = "有表决权的应到人数" if self.of == "voting" else "应到人数"
        if self.rule is None:
            return f"应到{self.expected}人，实到{self.attended}人，请假{self.on_leave}人，缺席{self.absent}人"
        verdict = "符合" if self.met else "不符合"
        return (f"{label}{self.base}人，到会{self.present}人，须超过半数（至少{self.required}人），{verdict}要求；"
                f"应到{self.expected}人，实到{self.attended}人，请假{self.on_leave}人，缺席{self.absent}人")


def compute_quorum(rule: dict | None, expected: list[Person], statuses: dict[int, str], on: dt.date) -> Quorum:
    """Quorum over the expected people; an expected person with no status counts as absent."""
    of = (rule or {}).get("of", "expected")
    attended = sum(1 for p in expected if statuses.get(p.id) == AttendanceStatus.PRESENT)
    on_leave = sum(1 for p in expected if statuses.get(p.id) == AttendanceStatus.LEAVE)
    base_people = [p for p in expected if p.is_full_member_on(on)] if of == "voting" else expected
    present = sum(1 for p in base_people if statuses.get(p.id) == AttendanceStatus.PRESENT)
    return Quorum(rule=(rule or {}).get("rule"), of=of, base=len(base_people), present=present,
                  expected=len(expected), attended=attended, on_leave=on_leave,
                  absent=len(expected) - attended - on_leave)


def excellent_limit(graded: int, max_ratio: float) -> int:
    """The most 优秀 grades allowed among `graded` members (at most one third by default).

    The parameter is read as the simple fraction it approximates (0.3333 → 1/3), so that 3 members allow 1.
    """
    share = Fraction(max_ratio).limit_denominator(100)
    return graded * share.numerator // share.denominator
