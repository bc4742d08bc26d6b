"""Structure warnings of an organization (DOMAIN.md §7): a pure engine over counts and a rule pack."""

import datetime as dt
from dataclasses import dataclass

from dangjian.standards.loader import cached_pack, require_number

from .models import KINDS_WITH_TERM, OrgKind

PACK = "orgs/structure.yaml"


@dataclass(frozen=True)
class StructureParams:
    min_full_members: int
    committee_threshold: int
    min_committee_posts: int
    max_members: int
    term_warning_months: int

    @classmethod
    def load(cls, path: str = PACK) -> "StructureParams":
        pack = cached_pack(path)
        return cls(**{name: int(require_number(pack, name, minimum=0)) for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class OrgFacts:
    kind: str
    full_members: int  # 正式党员
    party_members: int  # 正式党员 + 预备党员
    committee_posts: int  # committee posts filled (书记, 副书记, 委员 …)
    term_ends_on: dt.date | None


@dataclass(frozen=True)
class Warning:
    code: str
    level: str  # "danger" or "warning"
    message: str


def add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def structure_warnings(facts: OrgFacts, params: StructureParams, today: dt.date) -> list[Warning]:
    out: list[Warning] = []
    if facts.kind == OrgKind.BRANCH:
        if facts.full_members < params.min_full_members:
            out.append(Warning("ORG-SIZE-MIN", "danger",
                               f"正式党员{facts.full_members}人，少于{params.min_full_members}人"))
        if facts.full_members >= params.committee_threshold and facts.committee_posts < params.min_committee_posts:
            out.append(Warning(
                "ORG-COMMITTEE", "danger",
                f"正式党员{facts.full_members}人（≥{params.committee_threshold}人）应设支部委员会，"
                f"现有委员{facts.committee_posts}人，少于{params.min_committee_posts}人",
            ))
        if facts.party_members > params.max_members:
            out.append(Warning("ORG-SIZE-MAX", "warning",
                               f"党员{facts.party_members}人，超过{params.max_members}人，宜考虑分设党支部"))
    if facts.kind in KINDS_WITH_TERM and facts.term_ends_on is not None:
        if facts.term_ends_on < today:
            out.append(Warning("ORG-TERM-OVERDUE", "danger",
                               f"本届任期已于{facts.term_ends_on.isoformat()}届满，应及时换届"))
        elif facts.term_ends_on <= add_months(today, params.term_warning_months):
            out.append(Warning("ORG-TERM-DUE", "warning",
                               f"本届任期将于{facts.term_ends_on.isoformat()}届满，请做好换届准备"))
    return out
