"""The shape of the demo group: 集团党委 → 党总支s → 党支部s (and some 党支部s straight under the 党委).

Pure Python over a seeded random generator; the member, group and team plans hang off the branch plans.
Tree paths are computed here the way django-treebeard's materialized path does it (steplen 4).
"""

import datetime as dt
import math
import random
from dataclasses import dataclass, field

from dangjian.orgs.models import Organization, OrgKind

from .names import DIRECT_UNITS, DIVISIONS, PORT_AREAS, Division, cn_number

ROOT_CODE = "RG"
ROOT_NAME = "榕港物流集团党委"
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
STEPLEN = 4

# Deliberate gaps that the structure warnings (dangjian/orgs/structure.py) show.
LARGEST, TINY, NO_COMMITTEE, TERM_OVERDUE, TERM_DUE = "largest", "tiny", "no_committee", "overdue", "due"
TINY_SIZE, NO_COMMITTEE_SIZE = 4, 10


@dataclass
class OrgPlan:
    code: str
    name: str
    kind: str
    parent: "OrgPlan | None" = None
    profile: str = ""  # branches: a key of names.PROFILES
    unit: str = ""  # the unit's name without "党支部", for admin titles
    founded_on: dt.date | None = None
    term_started_on: dt.date | None = None
    term_years: int | None = None
    children: list["OrgPlan"] = field(default_factory=list)
    tags: set[str] = field(default_factory=set)
    size: int = 0  # branches: number of people on the roster
    path: str = ""
    depth: int = 0
    instance: Organization | None = None  # the row, once written

    def add(self, child: "OrgPlan") -> "OrgPlan":
        child.parent = self
        self.children.append(child)
        return child


def step(n: int) -> str:
    """The n-th (1-based) path step of treebeard's default alphabet, 4 characters wide."""
    digits = ""
    while n:
        n, r = divmod(n, len(ALPHABET))
        digits = ALPHABET[r] + digits
    if len(digits) > STEPLEN:
        raise ValueError("too many children for one node")
    return digits.rjust(STEPLEN, ALPHABET[0])


def assign_paths(root: OrgPlan, root_position: int) -> list[OrgPlan]:
    """Set path and depth on the whole tree; return it in path order (the order treebeard lists)."""
    root.path, root.depth = step(root_position), 1
    ordered = walk(root)
    for node in ordered:
        for i, child in enumerate(node.children, start=1):
            child.path, child.depth = node.path + step(i), node.depth + 1
    return ordered


def walk(root: OrgPlan) -> list[OrgPlan]:
    """The tree in depth-first order, children in the order added: the order of their paths."""
    out: list[OrgPlan] = []
    stack = [root]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(reversed(node.children))
    return out


def random_date(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    if end <= start:
        return start
    return start + dt.timedelta(days=rng.randint(0, (end - start).days))


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def healthy_term_start(rng: random.Random, today: dt.date) -> dt.date:
    # A 3-year term that started 20 to ~850 days ago ends more than 6 months from now.
    return today - dt.timedelta(days=rng.randint(20, 850))


def _division_sizes(rng: random.Random, remaining: int) -> list[int]:
    """Branch counts of the 党总支s: the classic four for a small group, blocks of 20–60 at scale."""
    if remaining <= 60:
        count = min(4, max(1, remaining // 3))
        weights = [8, 5, 4, 4][:count]
        sizes = [max(1, remaining * w // sum(weights)) for w in weights]
        i = 0
        while sum(sizes) < remaining:
            sizes[i % count] += 1
            i += 1
        return sizes
    sizes: list[int] = []
    while remaining > 60:
        n = rng.randint(20, 60)
        if remaining - n < 20:
            n = remaining - 20
        sizes.append(n)
        remaining -= n
    sizes.append(remaining)
    return sizes


def _branch_name(division: Division, j: int) -> str:
    if j < len(division.fixed):
        return division.fixed[j]
    prefix, suffix = division.numbered.split("{n}")
    already = sum(1 for name in division.fixed if name.startswith(prefix) and name.endswith(suffix))
    return division.numbered.format(n=cn_number(j - len(division.fixed) + 1 + already))


def plan_tree(rng: random.Random, *, branches: int, today: dt.date) -> tuple[OrgPlan, list[OrgPlan]]:
    """The organizations down to the 党支部s; returns the root and the branches in tree order."""
    root = OrgPlan(ROOT_CODE, ROOT_NAME, OrgKind.COMMITTEE, founded_on=dt.date(2003, 5, 8),
                   term_started_on=today - dt.timedelta(days=rng.randint(300, 900)), term_years=5)
    n_direct = max(1, min(3 + branches // 200, branches // 8, len(DIRECT_UNITS)))
    division_sizes = _division_sizes(rng, branches - n_direct)
    scale = len(division_sizes) > 4
    gb_width = max(2, len(str(len(division_sizes))))
    all_branches: list[OrgPlan] = []
    for i, count in enumerate(division_sizes):
        division = DIVISIONS[i % len(DIVISIONS)]
        if scale:
            area = PORT_AREAS[i // len(DIVISIONS)] if i // len(DIVISIONS) < len(PORT_AREAS) else (
                f"第{cn_number(i // len(DIVISIONS) + 1)}港区")
            gb_name = f"{area}{division.name}党总支"
        else:
            gb_name = f"{division.name}党总支"
        gb = root.add(OrgPlan(
            f"{ROOT_CODE}{i + 1:0{gb_width}d}", gb_name, OrgKind.GENERAL_BRANCH,
            founded_on=random_date(rng, dt.date(2003, 6, 1), dt.date(2012, 12, 31)),
            term_started_on=healthy_term_start(rng, today), term_years=3))
        b_width = max(2, len(str(count)))
        for j in range(count):
            unit = _branch_name(division, j)
            name = f"{unit}党支部"
            all_branches.append(gb.add(OrgPlan(
                f"{gb.code}{j + 1:0{b_width}d}", name, OrgKind.BRANCH, profile=division.profile, unit=unit,
                founded_on=random_date(rng, gb.founded_on or root.founded_on, dt.date(2019, 12, 31)),
                term_started_on=healthy_term_start(rng, today), term_years=3)))
    for j in range(n_direct):
        unit, profile = DIRECT_UNITS[j] if j < len(DIRECT_UNITS) else (f"直属第{cn_number(j + 1)}", "service")
        all_branches.append(root.add(OrgPlan(
            f"{ROOT_CODE}Z{j + 1:02d}", f"{unit}党支部", OrgKind.BRANCH, profile=profile, unit=unit,
            founded_on=random_date(rng, dt.date(2004, 1, 1), dt.date(2019, 12, 31)),
            term_started_on=healthy_term_start(rng, today), term_years=3)))
    _tag_gaps(rng, root, all_branches, today)
    return root, [b for b in walk(root) if b.kind == OrgKind.BRANCH]


def _tag_gaps(rng: random.Random, root: OrgPlan, branches: list[OrgPlan], today: dt.date) -> None:
    """Mark the branches that carry the deliberate gaps, at stable, believable places."""
    divisions = [c for c in root.children if c.kind == OrgKind.GENERAL_BRANCH]
    direct = [c for c in root.children if c.kind == OrgKind.BRANCH]
    taken: set[str] = set()

    def pick(candidates: list[OrgPlan]) -> OrgPlan:
        for b in candidates:
            if b.code not in taken and b.profile != "retiree":
                taken.add(b.code)
                return b
        rest = [b for b in branches if b.code not in taken and b.profile != "retiree"]
        chosen = rest[rng.randrange(len(rest))]
        taken.add(chosen.code)
        return chosen

    def nth(d: int, j: int) -> list[OrgPlan]:
        return [divisions[d].children[j]] if d < len(divisions) and j < len(divisions[d].children) else []

    pick(nth(0, 0)).tags.add(LARGEST)  # 集装箱码头党支部
    pick(direct[1:2] + nth(2, 3)).tags.add(TINY)  # 船舶代理公司党支部
    pick(nth(1, 1)).tags.add(NO_COMMITTEE)  # 铁路运输队党支部
    overdue = pick(nth(2, 2))  # 港口工程队党支部
    overdue.tags.add(TERM_OVERDUE)
    overdue.term_started_on = add_years(today, -3) - dt.timedelta(days=rng.randint(60, 300))
    due = pick(nth(3, 1))  # 机关第二党支部
    due.tags.add(TERM_DUE)
    due.term_started_on = add_years(today, -3) + dt.timedelta(days=rng.randint(40, 150))
    if len(branches) >= 100:
        # At scale, about 2% of the other branches are also overdue or due: a real group is never tidy.
        for b in branches:
            if b.code in taken:
                continue
            r = rng.random()
            if r < 0.01:
                b.term_started_on = add_years(today, -3) - dt.timedelta(days=rng.randint(10, 400))
            elif r < 0.02:
                b.term_started_on = add_years(today, -3) + dt.timedelta(days=rng.randint(10, 170))
    for b in branches:
        if b.founded_on and b.term_started_on and b.founded_on > b.term_started_on:
            b.founded_on = b.term_started_on


def largest_size(branches: int) -> int:
    return 70 if branches < 100 else 150


def minimum_members(branches: int) -> int:
    """The fewest people for which all the deliberate gaps fit (5 people in every ordinary branch)."""
    return largest_size(branches) + TINY_SIZE + NO_COMMITTEE_SIZE + 6 * (branches - 3)


def assign_sizes(rng: random.Random, branches: list[OrgPlan], total: int) -> None:
    """Roster sizes: the deliberate ones fixed, the rest varied (5–80 at scale) and summing to `total`."""
    fixed = {LARGEST: largest_size(len(branches)), TINY: TINY_SIZE, NO_COMMITTEE: NO_COMMITTEE_SIZE}
    others = []
    remaining = total
    for b in branches:
        tag = next((t for t in fixed if t in b.tags), None)
        if tag:
            b.size = fixed[tag]
            remaining -= b.size
        else:
            others.append(b)
    lo = 6 if len(branches) < 100 else 5
    hi = min(48 if len(branches) < 100 else 80, fixed[LARGEST] - 10)
    if remaining > hi * len(others) * 0.8:  # many people for few branches: let branches grow
        hi = math.ceil(remaining / len(others) * 1.6)
    weights = [min(2.6, max(0.2, rng.lognormvariate(0, 0.55))) for _ in others]
    total_weight = sum(weights)
    sizes = [max(lo, min(hi, round(remaining * w / total_weight))) for w in weights]
    diff = remaining - sum(sizes)
    while diff:
        i = rng.randrange(len(sizes))
        if diff > 0 and sizes[i] < hi:
            sizes[i] += 1
            diff -= 1
        elif diff < 0 and sizes[i] > lo:
            sizes[i] -= 1
            diff += 1
    for b, n in zip(others, sizes, strict=True):
        b.size = n
