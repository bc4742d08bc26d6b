"""A year of organizational life for the demo group: activities, attendance, 民主评议 grades and 整改 items.

The period is the twelve calendar months before the month of generation, the current month, and a few weeks
ahead (the current month and the next weeks are planned; so are the current quarter's and year's meetings
that fall later). Each branch keeps habits — its committee meets early in the month, its 主题党日 has a fixed
day — and holds what the standard templates (standards/templates/*.yaml) require:
支部委员会 monthly (where it has a committee of ≥3, or ≥7 full members and any committee member),
支部党员大会 and 党课 quarterly, 党小组会 monthly in every group, 主题党日 monthly with a "党建+" tag,
组织生活会 and 民主评议党员 in the fourth quarter, and some 谈心谈话, 志愿服务 and 专题学习. Attendance is recorded for everyone expected (as the web form pre-fills
it).

Most branches are diligent. Three carry the gaps real branches have, chosen from the seed and listed in
`ActivitySummary.gaps`: one month without 支部委员会, one 支部党员大会 without its quorum, and one 组织生活会
held late (in February of the next year) and entered as 补录.

Deterministic for a seed and a day. Rows go in with bulk_create (activities) and executemany (attendance),
a block of branches at a time, so that the reference scale (≈150,000 activities, ≈2.5 million attendance
rows) stays within memory and a few minutes on SQLite.
"""

import calendar
import datetime as dt
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models
from django.utils import timezone

from dangjian.meetings.models import (
    Activity,
    ActivityKind,
    ActivityStatus,
    Appraisal,
    AppraisalGrade,
    Attendance,
    AttendanceStatus,
    FollowUpItem,
)
from dangjian.meetings.rules import Person, excellent_limit
from dangjian.meetings.worktemplates import default_templates
from dangjian.orgs.models import COMMITTEE_POSTS, Organization, PartyPost

from . import activity_words as words
from .people import PARTY, BranchBuild
from .plan import LARGEST, NO_COMMITTEE, TINY

K = ActivityKind
PRESENT, LEAVE, ABSENT = AttendanceStatus.PRESENT, AttendanceStatus.LEAVE, AttendanceStatus.ABSENT
MIN_COMMITTEE = 3  # as the secretary's month reads it (meetings/calendar.py)
COMMITTEE_FULL_MEMBERS = 7  # a branch of this many full members must have a committee (ZB-ZWH-MONTHLY)
BRANCHES_PER_BLOCK = 40
INSERT_BATCH = 20000
LATE_RECORD_DAYS = (20, 40)  # the late 组织生活会 is entered this long after it was held


@dataclass
class ActivitySummary:
    by_kind: dict[str, int] = field(default_factory=dict)  # Chinese label → count
    attendance: int = 0
    appraisals: int = 0
    follow_ups: int = 0
    planned: int = 0
    gaps: list[str] = field(default_factory=list)
    no_committee: int = 0  # branches with fewer than 3 committee members and 7 full members (no 支部委员会)
    first_day: dt.date | None = None
    last_day: dt.date | None = None
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())

    def lines(self) -> list[str]:
        kinds = "，".join(f"{label} {n}" for label, n in self.by_kind.items() if n)
        out = [f"  组织生活记录：{self.first_day}至{self.last_day}共 {self.total} 次（{kinds}），其中计划中 {self.planned} 次",
               f"  出勤记录 {self.attendance} 条，民主评议等次 {self.appraisals} 条，整改事项 {self.follow_ups} 条"]
        if self.no_committee:
            out.append(f"  另有 {self.no_committee} 个党支部正式党员不足7人、委员不足3人，未设支部委员会，不召开支委会")
        if self.gaps:
            out.append("  有意留下的问题（演示用，其余党支部按要求开展）：")
            out += [f"    - {gap}" for gap in self.gaps]
        return out


@dataclass
class Gaps:
    missed_committee: tuple[int, int] | None = None  # (year, month)
    thin_assembly: tuple[int, int] | None = None  # (year, quarter)
    late_life_year: int | None = None


@dataclass
class Planned:
    """One activity before it is written, with its attendance and follow-ups."""

    org: Organization
    kind: str
    title: str
    start: dt.datetime
    minutes_long: int
    place: str
    host: int | None = None
    recorder: int | None = None
    lecturer: int | None = None
    agenda: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    marks: list[tuple[int, str, str, bool]] = field(default_factory=list)  # member, status, reason, by member
    grades: list[tuple[int, str]] = field(default_factory=list)
    follow_ups: list[tuple[str, int | None, dt.date, bool]] = field(default_factory=list)
    late_record: dt.datetime | None = None
    minutes: str = ""
    note: str = ""  # a sentence for the minutes (what went wrong)
    online: bool = False

    @property
    def end(self) -> dt.datetime:
        return self.start + dt.timedelta(minutes=self.minutes_long)


# --- dates -------------------------------------------------------------------------------------------


def add_months(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + delta
    return index // 12, index % 12 + 1


def month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def workday(day: dt.date) -> dt.date:
    """Saturday → Friday, Sunday → Monday."""
    if day.weekday() == 5:
        return day - dt.timedelta(days=1)
    if day.weekday() == 6:
        return day + dt.timedelta(days=1)
    return day


def on(year: int, month: int, day: int) -> dt.date:
    return workday(dt.date(year, month, min(day, calendar.monthrange(year, month)[1])))


@dataclass(frozen=True)
class Window:
    start: dt.date  # the first day of the month twelve months back
    today: dt.date
    horizon: dt.date  # the end of the current month, or three weeks ahead if later
    now: dt.datetime

    @classmethod
    def around(cls, today: dt.date) -> "Window":
        y, m = add_months(today.year, today.month, -12)
        horizon = max(month_end(today.year, today.month), today + dt.timedelta(days=21))
        tz = timezone.get_current_timezone()
        now = timezone.now() if today == timezone.localdate() else dt.datetime.combine(today, dt.time(12), tzinfo=tz)
        return cls(start=dt.date(y, m, 1), today=today, horizon=horizon, now=now)

    @property
    def months(self) -> list[tuple[int, int]]:
        out, (y, m) = [], (self.start.year, self.start.month)
        while dt.date(y, m, 1) <= self.horizon:
            out.append((y, m))
            y, m = add_months(y, m, 1)
        return out

    @property
    def complete_months(self) -> list[tuple[int, int]]:
        return [ym for ym in self.months if dt.date(*ym, 1) < dt.date(self.today.year, self.today.month, 1)]

    def keeps(self, day: dt.date, *, planning: tuple[dt.date, dt.date] | None = None) -> bool:
        """Is a day inside the period? Beyond the horizon, a quarter's or the year-end's meeting is planned
        already while today is in its planning period (the current quarter; the fourth quarter)."""
        if day < self.start:
            return False
        if day <= self.horizon:
            return True
        return planning is not None and planning[0] <= self.today <= planning[1] and day <= planning[1]


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=timezone.get_current_timezone())


# --- one branch ------------------------------------------------------------------------------------


class BranchLife:
    """The people and habits of one branch, and the activities it holds in the window."""

    def __init__(self, rng: random.Random, build: BranchBuild, window: Window, templates: dict):
        self.rng, self.build, self.window, self.templates = rng, build, window, templates
        plan = build.plan
        self.org: Organization = plan.instance  # type: ignore[assignment]
        self.profile = plan.profile
        self.people = {m.pk: m for m in build.members}
        party = [m for m in build.members if m.category in PARTY]
        self.party = [_person(m) for m in party]
        committee_ids = {m.pk for m, post in build.posts if post in COMMITTEE_POSTS and m.category in PARTY}
        self.committee = [p for p in self.party if p.id in committee_ids]
        group_of: dict[int, Any] = {m.pk: getattr(m, "_demo_group", None) for m in build.members}  # OrgPlans
        self.groups = [(g.instance, [_person(m) for m in party if group_of[m.pk] is g])
                       for g in plan.children if g.instance is not None]
        leaders = {group_of[m.pk].instance.pk: m.pk for m, post in build.posts
                   if post == PartyPost.GROUP_LEADER and group_of[m.pk] is not None}
        self.group_leaders = leaders
        holders = build.holders
        self.secretary = holders[str(PartyPost.SECRETARY)].pk
        self.recorder = next((holders[p].pk for p in (PartyPost.ORGANIZATION, PartyPost.PUBLICITY, PartyPost.DISCIPLINE,
                                                      PartyPost.DEPUTY_SECRETARY) if str(p) in holders), None)
        self.officers = [p.id for p in self.committee if p.id != self.secretary] or [self.secretary]
        self.places = words.PLACES.get(self.profile, words.PLACES["office"])
        self.presence = 0.84 if self.profile == "retiree" else 0.91
        self.reasons = words.LEAVE_REASONS.get(self.profile, words.LEAVE_REASONS["default"])
        # habits
        self.committee_day, self.committee_hour = rng.randint(2, 9), rng.choice([9, 15, 16])
        self.theme_day = rng.choice([10, 15, 15, 18, 20, 25])
        self.assembly_offset = rng.choice([2, 2, 2, 1])
        self.lecture_offset = rng.choice([0, 1, 1, 2])
        self.group_days = {g.pk: (rng.randint(8, 22), rng.choice([(17, 30), (12, 30), (16, 0)]), i)
                           for i, (g, _) in enumerate(self.groups)}
        self.lecture_series = rng.randrange(len(words.LECTURES))
        self.out: list[Planned] = []

    @property
    def has_committee(self) -> bool:
        """Whether the branch holds a monthly 支部委员会: it has a committee of ≥3, or any committee member and
        ≥7 full members (the compliance rule ZB-ZWH-MONTHLY asks it of every branch of ≥7 full members; a
        branch short of committee members still meets with those it has, and shows ZB-ORG-COMMITTEE)."""
        if len(self.committee) >= MIN_COMMITTEE:
            return True
        full = sum(1 for p in self.party if p.is_full_member_on(self.window.today))
        return bool(self.committee) and full >= COMMITTEE_FULL_MEMBERS

    # --- who and how -------------------------------------------------------------------------------

    def expected(self, kind: str, day: dt.date, group=None) -> list[Person]:
        """The same choice as meetings.selectors.expected_people, over the people in memory."""
        rule = self.templates[kind]["expected"]
        if rule == "none":
            return []
        if group is not None:
            pool = next(people for g, people in self.groups if g.pk == group.pk)
        elif rule == "committee":
            pool = self.committee
        else:
            pool = self.party
        if rule == "full_members":
            return [p for p in pool if p.is_full_member_on(day)]
        return [p for p in pool if p.is_party_member_on(day)]

    def attendance(self, a: Planned, expected: list[Person], *, thin: bool = False) -> None:
        rng = self.rng
        day = timezone.localtime(a.start).date()
        if a.start >= self.window.now:
            # Planned: everyone expected is pre-filled as 缺席 (as the web form does); a few asked for leave.
            for p in expected:
                if rng.random() < 0.05:
                    a.marks.append((p.id, LEAVE, rng.choice(self.reasons), True))
                else:
                    a.marks.append((p.id, ABSENT, "", False))
            return
        marks: dict[int, tuple[str, str]] = {}
        for p in expected:
            r = rng.random()
            if r < self.presence:
                marks[p.id] = (PRESENT, "")
            elif r < self.presence + 0.075:
                marks[p.id] = (LEAVE, rng.choice(self.reasons))
            else:
                marks[p.id] = (ABSENT, "")
        quorum = self.templates[a.kind].get("quorum")
        if quorum:
            base = [p for p in expected if p.is_full_member_on(day)] if quorum.get("of") == "voting" else expected
            if thin:
                keep = max(1, len(base) // 2 - rng.randint(0, max(0, len(base) // 6)))
                present = set(rng.sample([p.id for p in base], keep))
                for p in base:
                    marks[p.id] = (PRESENT, "") if p.id in present else (
                        (LEAVE, rng.choice(words.THIN_REASONS)) if rng.random() < 0.8 else (ABSENT, ""))
            else:
                for p in base:  # a diligent branch postpones rather than meet without its quorum
                    if sum(1 for q in base if marks[q.id][0] == PRESENT) * 2 > len(base):
                        break
                    marks[p.id] = (PRESENT, "")
        a.marks = [(pid, status, reason, False) for pid, (status, reason) in marks.items()]

    def new(self, kind: str, day: dt.date, hour: int, minute: int, title: str, *, org=None, hours: float = 1.5,
            place: str | None = None, host: int | None = None, agenda: list[str] | None = None,
            tags: list[str] | None = None, lecturer: int | None = None) -> Planned:
        rng = self.rng
        online = place is None and rng.random() < 0.03
        a = Planned(org=org or self.org, kind=kind, title=title, start=local(day, hour, minute),
                    minutes_long=int(hours * 60), online=online,
                    place="线上（视频会议）" if online else (place or self.places[0 if rng.random() < 0.8 else -1]),
                    host=host if host is not None else self.secretary, recorder=self.recorder, lecturer=lecturer,
                    agenda=agenda or [], tags=tags or [])
        self.out.append(a)
        return a

    # --- the year --------------------------------------------------------------------------------------

    def plan_year(self, gaps: Gaps) -> None:
        w = self.window
        for y, m in w.months:
            if self.has_committee and (y, m) != gaps.missed_committee:
                self.committee_meeting(y, m)
            for group, _ in self.groups:
                self.group_meeting(group, y, m)
            self.theme_day_of(y, m)
        quarters = sorted({(y, (m - 1) // 3 + 1) for y, m in w.months})
        for year, q in quarters:
            self.assembly(year, q, thin=(year, q) == gaps.thin_assembly)
            self.lecture(year, q)
        for year in sorted({y for y, _ in w.months} | {w.start.year - 1}):
            self.year_end(year, late=year == gaps.late_life_year)
        self.extras()

    def committee_meeting(self, y: int, m: int) -> None:
        day = on(y, m, self.committee_day)
        if not self.window.keeps(day):
            return
        topic = words.COMMITTEE_TOPICS[m]
        agenda = ["通报上月工作完成情况", topic, "研究部署本月党建重点工作"]
        if self.rng.random() < 0.3:
            agenda.insert(2, self.rng.choice(words.COMMITTEE_EXTRA))
        a = self.new(K.COMMITTEE_MEETING, day, self.committee_hour, 0, topic, hours=1, agenda=agenda,
                     place=self.places[0])
        self.attendance(a, self.expected(a.kind, day))

    def group_meeting(self, group: Organization, y: int, m: int) -> None:
        d, (hour, minute), index = self.group_days[group.pk]
        day = on(y, m, d)
        if not self.window.keeps(day):
            return
        theme = words.GROUP_THEMES[(m + index) % len(words.GROUP_THEMES)]
        host = self.group_leaders.get(group.pk) or self.secretary
        a = self.new(K.GROUP_MEETING, day, hour, minute, f"{m}月党小组会：{theme}", org=group, hours=1,
                     host=host, agenda=[theme, "交流思想和工作情况", "落实支部本月工作安排"])
        people = self.expected(a.kind, day, group)
        a.recorder = next((p.id for p in people if p.id != host), host)
        self.attendance(a, people)

    def theme_day_of(self, y: int, m: int) -> None:
        day = on(y, m, self.theme_day)
        if not self.window.keeps(day):
            return
        title, tag, place = words.THEME_DAYS[m]
        title = title.format(n=y - 1921)
        a = self.new(K.THEME_DAY, day, 14, 30, title, hours=2, place=place, tags=[tag],
                     agenda=["重温入党誓词", title, "交流发言"])
        self.attendance(a, self.expected(a.kind, day))

    def assembly(self, year: int, q: int, *, thin: bool = False) -> None:
        first_month = 3 * q - 2
        month = max(first_month + self.assembly_offset, self._first_month_in(year, first_month))
        if month > first_month + 2:
            return
        day = on(year, month, self.rng.randint(18, 27))
        if not self.window.keeps(day, planning=(dt.date(year, first_month, 1), month_end(year, first_month + 2))):
            return
        agenda = ["传达学习上级党委会议精神", f"通报第{words.QUARTERS[q]}季度支部工作情况", words.ASSEMBLY_TOPICS[q]]
        a = self.new(K.BRANCH_ASSEMBLY, day, 15, 0, f"第{words.QUARTERS[q]}季度支部党员大会", hours=1.5, agenda=agenda,
                     place=self.places[0])
        self.attendance(a, self.expected(a.kind, day), thin=thin)
        if thin:
            a.note = "到会的有表决权党员未超过半数，本次会议只传达学习、通报情况，需表决的事项改期再议。"

    def lecture(self, year: int, q: int) -> None:
        first_month = 3 * q - 2
        month = max(first_month + self.lecture_offset, self._first_month_in(year, first_month))
        if month > first_month + 2:
            return
        day = on(year, month, self.rng.randint(10, 24))
        if not self.window.keeps(day, planning=(dt.date(year, first_month, 1), month_end(year, first_month + 2))):
            return
        lecturer = self.secretary if q in (1, 3) else self.rng.choice(self.officers)
        title = words.LECTURES[(year * 4 + q + self.lecture_series) % len(words.LECTURES)]
        a = self.new(K.PARTY_LECTURE, day, 14, 30, title, hours=1.5, lecturer=lecturer,
                     agenda=["讲授专题党课", "交流学习体会"])
        self.attendance(a, self.expected(a.kind, day))

    def _first_month_in(self, year: int, first_month: int) -> int:
        start = self.window.start
        return start.month if (start.year, start.month) > (year, first_month) and start.year == year else first_month

    def year_end(self, year: int, *, late: bool) -> None:
        rng = self.rng
        life = workday(dt.date(year, 11, 20) + dt.timedelta(days=rng.randint(0, 36)))
        appraisal_day = life
        if late:
            life = workday(dt.date(year + 1, 2, rng.randint(2, 13)))
        fourth_quarter = (dt.date(year, 10, 1), dt.date(year, 12, 31))
        for offset in (rng.randint(6, 12), rng.randint(13, 25)):  # a round of talks before the meeting
            self.heart_talk(life - dt.timedelta(days=offset))
        if self.window.keeps(life, planning=fourth_quarter if not late else None):
            a = self.new(K.LIFE_MEETING, life, 9, 0, f"{year}年度组织生活会", hours=2.5, place=self.places[0],
                         agenda=["通报上年度组织生活会整改落实情况", "支部书记代表支委会作对照检查",
                                 "党员逐一发言，开展批评和自我批评", "研究形成整改清单"])
            self.attendance(a, self.expected(a.kind, life))
            if a.start < self.window.now:
                items = rng.sample(words.RECTIFICATIONS, rng.randint(3, 4))
                owners = [self.secretary, *self.officers]
                for i, text in enumerate(items):
                    due = life + dt.timedelta(days=rng.randint(60, 120))
                    a.follow_ups.append((text, owners[i % len(owners)], due, due < self.window.today))
            if late:
                delay = rng.randint(*LATE_RECORD_DAYS)
                a.late_record = min(a.end + dt.timedelta(days=delay), self.window.now - dt.timedelta(hours=1))
        if self.window.keeps(appraisal_day, planning=fourth_quarter):
            a = self.new(K.MEMBER_APPRAISAL, appraisal_day, 14, 30, f"{year}年度民主评议党员", hours=2,
                         place=self.places[0], agenda=["支部书记报告支部工作", "党员个人自评和相互评议", "民主测评",
                                                       "支委会综合评定等次"])
            people = self.expected(a.kind, appraisal_day)
            self.attendance(a, people)
            if a.start < self.window.now:
                self.grades(a, people)

    def grades(self, a: Planned, people: list[Person]) -> None:
        rng = self.rng
        ratio = (self.templates[K.MEMBER_APPRAISAL].get("params") or {}).get("excellent_max_ratio", 1 / 3)
        limit = excellent_limit(len(people), ratio)
        excellent = set(rng.sample([p.id for p in people], min(limit, round(len(people) * rng.uniform(0.15, 0.3)))))
        basic = set()
        rest = [p.id for p in people if p.id not in excellent]
        if len(people) >= 10 and rest and rng.random() < 0.25:
            basic = {rng.choice(rest)}
        for p in people:
            grade = (AppraisalGrade.EXCELLENT if p.id in excellent else AppraisalGrade.BASIC if p.id in basic
                     else AppraisalGrade.QUALIFIED)
            a.grades.append((p.id, grade))

    def heart_talk(self, day: dt.date) -> None:
        day = workday(day)
        if not self.window.keeps(day) or local(day, 10) >= self.window.now:
            return
        others = [p for p in self.party if p.id != self.secretary and p.is_party_member_on(day)]
        if not others:
            return
        other = self.rng.choice(others)
        a = self.new(K.HEART_TALK, day, 10, 0, f"{self.people[self.secretary].name}与{other.name}谈心谈话", hours=1,
                     place="支部书记办公室", agenda=["交流思想、工作和生活情况", "听取对支部工作的意见建议"])
        a.host = None
        a.recorder = self.secretary
        a.marks = [(self.secretary, PRESENT, "", False), (other.id, PRESENT, "", False)]

    def extras(self) -> None:
        """志愿服务, 专题学习 and a few more 谈心谈话 through the year (no fixed frequency)."""
        rng, w = self.rng, self.window
        months = [ym for ym in w.months if dt.date(*ym, 1) <= w.today]
        for y, m in rng.sample(months, min(len(months), rng.randint(2, 4))):
            title, place = words.VOLUNTEERING[m] if m in words.VOLUNTEERING else rng.choice(words.VOLUNTEER_ANYTIME)
            day = on(y, m, rng.randint(5, 25))
            if not w.keeps(day) or local(day, 9) >= w.now:
                continue
            a = self.new(K.VOLUNTEER, day, 9, 0, title, hours=3, place=place,
                         host=rng.choice([self.secretary, *self.officers]), agenda=["讲解服务内容和安全要求", "开展志愿服务"])
            a.recorder = None
            people = [p for p in self.party if p.is_party_member_on(day)]
            joined = rng.sample(people, max(1, round(len(people) * rng.uniform(0.35, 0.75)))) if people else []
            a.marks = [(p.id, PRESENT, "", False) for p in joined]
        for y, m in rng.sample(months, min(len(months), rng.randint(3, 5))):
            title = words.STUDY_MARCH if m == 3 else rng.choice(words.STUDIES)
            day = on(y, m, rng.randint(11, 26))
            if not w.keeps(day):
                continue
            a = self.new(K.TOPIC_STUDY, day, 15, 0, title, hours=2, host=rng.choice([self.secretary, *self.officers]),
                         agenda=["领学原文", "观看专题辅导视频", "交流研讨"])
            self.attendance(a, self.expected(a.kind, day))
        for y, m in rng.sample(months, min(len(months), rng.randint(1, 2))):
            self.heart_talk(on(y, m, rng.randint(3, 27)))


def _person(member) -> Person:
    return Person(id=member.pk, name=member.name, category=member.category, admitted_on=member.admitted_on,
                  full_on=member.full_on)


# --- minutes -----------------------------------------------------------------------------------------


def _names(ids: list[int], people: dict) -> str:
    return "、".join(people[i].name for i in ids if i in people)


def write_minutes(a: Planned, people: dict) -> str:
    present = [m for m, s, _, _ in a.marks if s == PRESENT]
    leave = [(m, r) for m, s, r, _ in a.marks if s == LEAVE]
    absent = [m for m, s, _, _ in a.marks if s == ABSENT]
    host = people[a.host].name if a.host in people else ""
    lines = []
    if a.kind == K.HEART_TALK:
        other = people[a.marks[-1][0]].name if a.marks else ""
        return (f"围绕思想、工作和生活情况谈心。{other}谈了近期岗位工作和学习体会，对支部工作提出了意见建议；"
                "书记肯定了成绩，提醒在岗位上发挥党员先锋模范作用。双方约定下次谈心时交流落实情况。")
    if a.kind == K.VOLUNTEER:
        return f"{host}带队，{len(present)}名党员参加志愿服务：{a.title}。活动前讲解了服务内容和安全要求，党员亮明身份、主动服务。"
    opener = f"{host}主持" if host else "会议召开"
    if a.kind == K.PARTY_LECTURE and a.lecturer in people:
        opener = f"{people[a.lecturer].name}讲授党课"
    total = len(a.marks)
    lines.append(f"{opener}。应到{total}人，实到{len(present)}人，请假{len(leave)}人"
                 + (f"（{'、'.join(f'{people[m].name}{r}' for m, r in leave if m in people)}）" if leave else "")
                 + f"，缺席{len(absent)}人" + (f"（{_names(absent, people)}）" if absent else "") + "。")
    if a.agenda:
        lines.append("会议议程：" + "；".join(a.agenda) + "。")
    lines.append(a.note or words.CLOSINGS.get(a.kind, "与会党员结合岗位实际交流了体会。"))
    if a.follow_ups:
        lines.append(f"会议梳理出问题{len(a.follow_ups)}条，形成整改清单，明确责任人和整改时限。")
    return "\n".join(lines)


# --- the whole group ---------------------------------------------------------------------------------


def choose_gaps(rng: random.Random, lives: list[BranchLife], window: Window) -> dict[int, Gaps]:
    """Three branches with a gap each, at places that show on the month page."""
    candidates = [life for life in lives if life.has_committee and life.profile != "retiree"
                  and not (life.build.plan.tags & {LARGEST, TINY, NO_COMMITTEE})]
    chosen = rng.sample(candidates, min(3, len(candidates)))
    gaps: dict[int, Gaps] = {}
    complete = window.complete_months
    if chosen:
        gaps[chosen[0].org.pk] = Gaps(missed_committee=complete[rng.randint(2, len(complete) - 3)])
    if len(chosen) > 1:
        past = sorted({(y, (m - 1) // 3 + 1) for y, m in complete if m % 3 == 0})
        gaps[chosen[1].org.pk] = Gaps(thin_assembly=past[rng.randint(max(0, len(past) - 3), len(past) - 1)])
    if len(chosen) > 2:
        year = window.today.year
        while dt.date(year + 1, 2, 13) + dt.timedelta(days=LATE_RECORD_DAYS[0] + 1) > window.today:
            year -= 1
        gaps[chosen[2].org.pk] = Gaps(late_life_year=year)
    return gaps


def describe_gaps(lives: list[BranchLife], gaps: dict[int, Gaps]) -> list[str]:
    out = []
    for life in lives:
        gap = gaps.get(life.org.pk)
        if gap is None:
            continue
        who = f"{life.org.name}（{life.org.code}）"
        if gap.missed_committee:
            y, m = gap.missed_committee
            out.append(f"{who}{y}年{m}月没有召开支部委员会")
        if gap.thin_assembly:
            y, q = gap.thin_assembly
            a = next(a for a in life.out if a.kind == K.BRANCH_ASSEMBLY
                     and (timezone.localtime(a.start).year, (timezone.localtime(a.start).month - 1) // 3 + 1) == (y, q))
            day = timezone.localtime(a.start).date()
            voting = [p for p in life.expected(a.kind, day) if p.is_full_member_on(day)]
            present = sum(1 for m, s, _, _ in a.marks if s == PRESENT and m in {p.id for p in voting})
            out.append(f"{who}{y}年第{words.QUARTERS[q]}季度支部党员大会到会人数不足：有表决权的党员{len(voting)}人，"
                       f"到会{present}人，未超过半数")
        if gap.late_life_year:
            a = next(a for a in life.out if a.kind == K.LIFE_MEETING and a.late_record is not None)
            held, recorded = timezone.localtime(a.start), timezone.localtime(a.late_record)
            out.append(f"{who}{gap.late_life_year}年度组织生活会推迟到{held.year}年{held.month}月{held.day}日才召开，"
                       f"{recorded.month}月{recorded.day}日才录入（补录）")
    return out


def generate_activities(builds: list[BranchBuild], root: Organization, *, seed: int, today: dt.date,
                        stdout=None) -> ActivitySummary:
    """Write the year of activities of the demo group (members and organizations are already written)."""
    started = time.perf_counter()
    rng = random.Random(seed * 7919 + 13)
    window = Window.around(today)
    templates = default_templates()
    steps = {k: [s["title"] for s in t.get("steps", [])] for k, t in templates.items()}
    summary = ActivitySummary(by_kind={k.label: 0 for k in ActivityKind}, first_day=window.start, last_day=window.start)
    lives = [BranchLife(random.Random(rng.getrandbits(64)), b, window, templates) for b in builds]
    gaps = choose_gaps(rng, lives, window)
    summary.no_committee = sum(1 for life in lives if not life.has_committee)
    if stdout is not None:
        stdout.write(f"正在生成 {window.start} 起一年的组织生活记录和出勤…\n")
    for start in range(0, len(lives), BRANCHES_PER_BLOCK):
        block = lives[start:start + BRANCHES_PER_BLOCK]
        for life in block:
            life.plan_year(gaps.get(life.org.pk, Gaps()))
        _write_block(block, root, window, templates, steps, summary)
        for life in block:
            if life.org.pk in gaps:
                summary.gaps += describe_gaps([life], gaps)
            life.out = []  # free the memory of a written block
    summary.seconds = time.perf_counter() - started
    return summary


ACTIVITY_FIELDS = ["code", "org", "top_org", "kind", "template_ref", "title", "starts_at", "ends_at", "place", "online",
                   "host", "recorder", "lecturer", "agenda", "minutes", "status", "five_ding", "steps_done", "tags",
                   "late_entry", "recorded_at", "created_at", "updated_at"]


def _write_block(lives: list[BranchLife], root: Organization, window: Window, templates: dict,
                 steps: dict[str, list[str]], summary: ActivitySummary) -> None:
    rows: list[tuple] = []
    planned: list[tuple[str, Planned]] = []
    codes: Counter[tuple[int, dt.date]] = Counter()
    written = timezone.now()
    for life in lives:
        for a in sorted(life.out, key=lambda a: (a.start, a.kind)):
            day = timezone.localtime(a.start).date()
            codes[(a.org.pk, day)] += 1
            code = f"{a.org.code}-{day:%Y%m%d}-{codes[(a.org.pk, day)]:02d}"
            held = a.start < window.now
            if held:
                a.minutes = write_minutes(a, life.people)
                recorded = a.late_record or min(a.end + dt.timedelta(hours=life.rng.randint(2, 60)), window.now)
                recent = window.now - a.end < dt.timedelta(days=10)
                status = ActivityStatus.HELD if recent and life.rng.random() < 0.6 else ActivityStatus.ARCHIVED
            else:
                recorded, status = None, (ActivityStatus.NOTIFIED if a.start - window.now < dt.timedelta(days=7)
                                          else ActivityStatus.PLANNED)
                summary.planned += 1
            template = templates[a.kind]
            rows.append((
                code, a.org.pk, root.pk, a.kind, f"标准模板 {template['version']}", a.title, a.start, a.end, a.place,
                a.online, a.host, a.recorder, a.lecturer,
                "\n".join(f"{i}. {item}" for i, item in enumerate(a.agenda, start=1)), a.minutes, str(status),
                _five_ding(a, template) if held else {}, steps[a.kind] if held else [], a.tags,
                a.late_record is not None, recorded, written, written))
            planned.append((code, a))
            summary.by_kind[ActivityKind(a.kind).label] += 1
            summary.last_day = max(summary.last_day or day, day)
    insert_rows(Activity, ACTIVITY_FIELDS, rows)
    orgs = {a.org.pk for _, a in planned}
    pk_of = dict(Activity.objects.filter(org_id__in=orgs).values_list("code", "pk"))
    marks, grades, follow_ups = [], [], []
    for code, a in planned:
        pk = pk_of[code]
        marks += [(pk, member, status, reason, by_member) for member, status, reason, by_member in a.marks]
        grades += [(pk, member, grade, "") for member, grade in a.grades]
        follow_ups += [(pk, text, owner, due, done) for text, owner, due, done in a.follow_ups]
    insert_rows(Attendance, ["activity", "member", "status", "reason", "requested_by_member"], marks)
    insert_rows(Appraisal, ["activity", "member", "grade", "note"], grades)
    insert_rows(FollowUpItem, ["activity", "content", "owner", "due_on", "done"], follow_ups)
    summary.attendance += len(marks)
    summary.appraisals += len(grades)
    summary.follow_ups += len(follow_ups)


def _five_ding(a: Planned, template: dict) -> dict[str, str]:
    start = timezone.localtime(a.start)
    values = {"time": f"{start:%Y-%m-%d %H:%M}", "content": a.title, "agenda": "；".join(a.agenda)}
    return {item["key"]: values.get(item["key"], item.get("hint", "")) for item in template.get("five_ding") or []}


def insert_rows(model, fields: list[str], rows: list[tuple]) -> None:
    """Insert rows with one prepared statement sent in large batches (executemany).

    bulk_create prepares every value of every row through its field; at reference scale (millions of
    attendance rows) that is most of the time. Here only dates, times and JSON go through their fields.
    """
    if not rows:
        return
    meta = model._meta
    columns = [meta.get_field(f) for f in fields]
    prepared = [i for i, c in enumerate(columns) if isinstance(c, models.DateField | models.JSONField)]
    qn = connection.ops.quote_name
    sql = (f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(c.column) for c in columns)}) "
           f"VALUES ({', '.join(['%s'] * len(columns))})")
    with connection.cursor() as cursor:
        for start in range(0, len(rows), INSERT_BATCH):
            batch: list = rows[start:start + INSERT_BATCH]
            if prepared:
                batch = [_prepare(row, columns, prepared) for row in batch]
            cursor.executemany(sql, batch)


def _prepare(row: tuple, columns: list, indexes: list[int]) -> list:
    values = list(row)
    for i in indexes:
        values[i] = columns[i].get_db_prep_save(values[i], connection)
    return values


def delete_activities() -> None:
    """Every activity and what hangs off it (for `demo --reset`): child rows first, then one DELETE."""
    from dangjian.meetings.models import Evidence

    for model in (Attendance, Appraisal, FollowUpItem, Evidence):
        model.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {connection.ops.quote_name(Activity._meta.db_table)}")
