"""The people of the demo group: rosters, 党小组s, 班组, 党内职务 and 行政职务, branch by branch.

Everything is drawn from one seeded generator, in a fixed order, so that a seed gives the same group.
Dates follow dangjian/orgs/rules.py: in the order of the categories, none in the future, the applicant at
least 18 on the day of application. Rows are unsaved model instances; the generator writes them in bulk.
"""

import datetime as dt
import itertools
import random
from dataclasses import dataclass, field

from dangjian.core.idcard import check_digit
from dangjian.orgs.models import Category, Member, OrgKind, PartyPost, WorkStatus, WorkTeam

from .names import (
    EDUCATION_OFFICE,
    EDUCATION_PRODUCTION,
    ETHNICITIES,
    GIVEN_FEMALE,
    GIVEN_MALE,
    OFFICE_DEPUTY_TITLES,
    OFFICE_TITLES,
    PHONE_PREFIXES,
    PROFILES,
    REGIONS,
    SURNAMES,
    TEAM_POSTS,
    Profile,
    admin_titles_for,
    cn_number,
)
from .plan import LARGEST, NO_COMMITTEE, TINY, OrgPlan, add_years, random_date

FIRST_BIRTH, LAST_BIRTH = dt.date(1962, 1, 1), dt.date(2004, 12, 31)
EDUCATION_OLDER = [("初中", 20), ("高中", 30), ("中专", 25), ("大专", 18), ("本科", 7)]
CATEGORY_WEIGHTS = [
    (Category.FULL, 80), (Category.PROBATIONARY, 6), (Category.CANDIDATE, 4), (Category.ACTIVIST, 5.5),
    (Category.APPLICANT, 4.5),
]
PARTY = (Category.FULL, Category.PROBATIONARY)
DAY = dt.timedelta(days=1)


class Weighted:
    """rng.choices over (value, weight) pairs with the cumulative weights computed once."""

    def __init__(self, pairs):
        self.values = [v for v, _ in pairs]
        self.cum = list(itertools.accumulate(w for _, w in pairs))

    def pick(self, rng: random.Random):
        return rng.choices(self.values, cum_weights=self.cum)[0]

    def many(self, rng: random.Random, k: int) -> list:
        return rng.choices(self.values, cum_weights=self.cum, k=k)


@dataclass
class BranchBuild:
    """One branch's rows. Members carry `_demo_group` (an OrgPlan) and `_demo_team` (a WorkTeam) until written."""

    plan: OrgPlan
    members: list[Member]
    teams: list[WorkTeam] = field(default_factory=list)
    posts: list[tuple[Member, str]] = field(default_factory=list)
    holders: dict[str, Member] = field(default_factory=dict)  # committee post → member

    def has_post(self, member: Member) -> bool:
        return any(m is member for m, _ in self.posts)


class People:
    def __init__(self, rng: random.Random, today: dt.date):
        self.rng = rng
        self.today = today
        self.ids: set[str] = set()
        self.surnames = Weighted(SURNAMES)
        self.regions = Weighted(REGIONS)
        self.ethnicities = Weighted(ETHNICITIES)
        self.education = {"office": Weighted(EDUCATION_OFFICE), "production": Weighted(EDUCATION_PRODUCTION),
                          "older": Weighted(EDUCATION_OLDER)}
        self.categories = Weighted(CATEGORY_WEIGHTS)
        self.sixty_years_ago = add_years(today, -60)
        self.office_titles_used = 0

    # --- one person ------------------------------------------------------------------------------

    def person(self, category: str, profile: Profile, *, retiree: bool = False) -> Member:
        rng = self.rng
        male = rng.random() >= profile.female_share
        if category == Category.FULL:
            birth, dates = self._full_dates(retiree)
        else:
            birth, dates = self._candidate_dates(category)
        retired = retiree or (birth <= self.sixty_years_ago and rng.random() < 0.3)
        if profile.office:
            education = self.education["office"].pick(rng)
        elif birth.year < 1975:
            education = self.education["older"].pick(rng)
        else:
            education = self.education["production"].pick(rng)
        phone = "" if retired and rng.random() < 0.15 else f"{rng.choice(PHONE_PREFIXES)}{rng.randrange(10**8):08d}"
        return Member(
            id_number=self._id_number(birth, male), name=self._name(male), gender="男" if male else "女",
            birth_date=birth, category=category, ethnicity=self.ethnicities.pick(rng), education=education,
            job_post="" if retired or not profile.job_posts else rng.choice(profile.job_posts),
            phone=phone, work_status=WorkStatus.RETIRED if retired else WorkStatus.WORKING, **dates,
        )

    def _name(self, male: bool) -> str:
        chars = GIVEN_MALE if male else GIVEN_FEMALE
        rng = self.rng
        given = rng.choice(chars)
        if rng.random() < 0.72:
            second = rng.choice(chars)
            given += second if second != given else rng.choice(chars)
        return self.surnames.pick(rng) + given

    def _id_number(self, birth: dt.date, male: bool) -> str:
        rng = self.rng
        region = self.regions.pick(rng)
        born = birth.strftime("%Y%m%d")
        while True:
            seq = rng.randrange(1, 1000, 2) if male else rng.randrange(2, 1000, 2)
            first17 = f"{region}{born}{seq:03d}"
            number = first17 + check_digit(first17)
            if number not in self.ids:
                self.ids.add(number)
                return number

    def _full_dates(self, retiree: bool) -> tuple[dt.date, dict]:
        rng, today = self.rng, self.today
        gaps = [rng.randint(180, 540), rng.randint(365, 700), rng.randint(60, 330),
                365 if rng.random() > 0.03 else rng.randint(545, 730)]  # a few had their probation extended
        chain = sum(gaps)
        if retiree:
            birth = random_date(rng, FIRST_BIRTH, dt.date(1966, 6, 30))
        else:
            age = int(rng.triangular(24, 61, 41))
            birth = random_date(rng, dt.date(today.year - age, 1, 1), dt.date(today.year - age, 12, 31))
            birth = min(max(birth, FIRST_BIRTH), LAST_BIRTH)
        latest = today - dt.timedelta(days=chain) - DAY
        if add_years(birth, 18) + DAY > latest:  # too young to have come all the way: make them older
            birth = max(FIRST_BIRTH, add_years(latest, -18) - dt.timedelta(days=rng.randint(30, 3000)))
        earliest = add_years(birth, 18) + DAY
        applied = birth + dt.timedelta(days=int(rng.triangular(18.3, 45, 23) * 365.25))
        applied = max(applied, earliest)
        if applied > latest:
            applied = random_date(rng, earliest, latest)
        days = list(itertools.accumulate(gaps, initial=0))
        stages = [applied + dt.timedelta(days=d) for d in days]
        dates = dict(zip(["applied_on", "activist_on", "candidate_on", "admitted_on", "full_on"], stages,
                         strict=True))
        if (stages[-1].year < 1998 and rng.random() < 0.6) or rng.random() < 0.04:
            # Old files: only the admission and full-membership dates are on record.
            dates.update(applied_on=None, activist_on=None, candidate_on=None)
        return birth, dates

    def _candidate_dates(self, category: str) -> tuple[dt.date, dict]:
        rng, today = self.rng, self.today
        dates: dict[str, dt.date | None] = {}
        if category == Category.PROBATIONARY:
            dates["admitted_on"] = today - dt.timedelta(days=rng.randint(20, 350))
            dates["candidate_on"] = dates["admitted_on"] - dt.timedelta(days=rng.randint(60, 300))
        elif category == Category.CANDIDATE:
            dates["candidate_on"] = today - dt.timedelta(days=rng.randint(10, 330))
        if "candidate_on" in dates:
            dates["activist_on"] = dates["candidate_on"] - dt.timedelta(days=rng.randint(365, 600))
        elif category == Category.ACTIVIST:
            dates["activist_on"] = today - dt.timedelta(days=rng.randint(10, 700))
        if "activist_on" in dates:
            dates["applied_on"] = dates["activist_on"] - dt.timedelta(days=rng.randint(100, 450))
        else:
            dates["applied_on"] = today - dt.timedelta(days=rng.randint(5, 360))
        applied = dates["applied_on"]
        birth = applied - dt.timedelta(days=int(rng.triangular(18.3, 40, 23) * 365.25))
        birth = min(max(birth, FIRST_BIRTH), LAST_BIRTH, add_years(applied, -18) - DAY)
        return birth, dates

    # --- one branch ------------------------------------------------------------------------------

    def build_branch(self, b: OrgPlan) -> BranchBuild:
        """Roster, 党小组s, committee and team shells of a branch (members join teams in `staff_teams`)."""
        rng = self.rng
        profile = PROFILES[b.profile]
        retiree = b.profile == "retiree"
        members = [self.person(c, profile, retiree=retiree) for c in self._categories(b)]
        for m in members:
            m._demo_group = None
            m._demo_team = None
        build = BranchBuild(plan=b, members=members)
        full = [m for m in members if m.category == Category.FULL]
        party = [m for m in members if m.category in PARTY]

        groups: list[OrgPlan] = []
        if b.size >= 15:
            for k in range(min(6, max(2, b.size // 12))):
                groups.append(b.add(OrgPlan(f"{b.code}-{k + 1}", f"第{cn_number(k + 1)}党小组", OrgKind.GROUP)))
            shuffled = party[:]
            rng.shuffle(shuffled)
            for i, m in enumerate(shuffled):
                m._demo_group = groups[i % len(groups)]

        self._committee(b, full, build)
        for g in groups:
            self._group_leader(g, full, build)
        if profile.teams:
            count = min(len(profile.teams), max(1, b.size // 8))
            chosen = sorted(rng.sample(range(len(profile.teams)), count))
            for k, idx in enumerate(chosen, start=1):
                team = WorkTeam(code=f"{b.code}-B{k:02d}", name=profile.teams[idx])
                team._demo_red = True
                team._demo_contact = None
                build.teams.append(team)
        self._admin_titles(b, profile, full, build)
        return build

    def _categories(self, b: OrgPlan) -> list[str]:
        if TINY in b.tags:
            return [Category.FULL, Category.FULL, Category.ACTIVIST, Category.APPLICANT]
        if NO_COMMITTEE in b.tags:
            return [Category.FULL] * 8 + [Category.PROBATIONARY, Category.ACTIVIST]
        if b.profile == "retiree":
            return [Category.FULL] * b.size
        cats = self.categories.many(self.rng, b.size)
        # Every ordinary branch has at least 3 full members; the largest has more than 50 party members.
        full = sum(1 for c in cats if c == Category.FULL)
        party = sum(1 for c in cats if c in PARTY)
        need_party = 52 if LARGEST in b.tags else 0
        for i, c in enumerate(cats):
            if full >= 3 and party >= need_party:
                break
            if c != Category.FULL:
                full += 1
                party += 0 if c in PARTY else 1
                cats[i] = Category.FULL
        return cats

    def _committee(self, b: OrgPlan, full: list[Member], build: BranchBuild) -> None:
        rng = self.rng
        working = [m for m in full if m.work_status == WorkStatus.WORKING] or full
        prime = [m for m in working if 32 <= self.today.year - m.birth_date.year <= 58] or working
        secretary = prime[rng.randrange(len(prime))]
        if NO_COMMITTEE in b.tags:
            titles = [PartyPost.SECRETARY, PartyPost.ORGANIZATION]  # committee not made up after departures
        elif len(full) >= 7:
            size = 5 if LARGEST in b.tags else (3 if len(full) < 15 else rng.randint(3, 5))
            titles = [PartyPost.SECRETARY, PartyPost.ORGANIZATION, PartyPost.PUBLICITY, PartyPost.DISCIPLINE][:size]
            if size == 5:
                titles.append(rng.choice([PartyPost.DEPUTY_SECRETARY, PartyPost.YOUTH]))
        else:
            titles = [PartyPost.SECRETARY]
        others = [m for m in working if m is not secretary]
        rng.shuffle(others)
        holders = [secretary] + others[: len(titles) - 1]
        if PartyPost.YOUTH in titles and len(holders) == len(titles):
            youngest = max(others, key=lambda m: m.birth_date)
            if all(h is not youngest for h in holders):
                holders[-1] = youngest
        for m, title in zip(holders, titles, strict=False):
            build.posts.append((m, str(title)))
            build.holders[str(title)] = m

    def _group_leader(self, group: OrgPlan, full: list[Member], build: BranchBuild) -> None:
        in_group = [m for m in full if m._demo_group is group]
        plain = [m for m in in_group if not build.has_post(m)] or in_group
        if not plain:
            spare = [m for m in full if not build.has_post(m)] or full
            plain = [spare[self.rng.randrange(len(spare))]]
            plain[0]._demo_group = group
        leader = plain[self.rng.randrange(len(plain))]
        build.posts.append((leader, str(PartyPost.GROUP_LEADER)))

    def _admin_titles(self, b: OrgPlan, profile: Profile, full: list[Member], build: BranchBuild) -> None:
        """行政职务: several secretaries also head their unit (双向进入、交叉任职)."""
        rng = self.rng
        titles = admin_titles_for(b.unit, b.profile)
        if titles is None:
            return
        working = [m for m in full if m.work_status == WorkStatus.WORKING]
        if not working:
            return
        secretary = build.holders[str(PartyPost.SECRETARY)]
        if profile.office:
            # Each office branch covers other departments: hand the department heads out in turn.
            k = self.office_titles_used
            self.office_titles_used += 2
            lead, extra = OFFICE_TITLES[k % len(OFFICE_TITLES)], OFFICE_TITLES[(k + 1) % len(OFFICE_TITLES)]
            deputy = OFFICE_DEPUTY_TITLES[(k // 2) % len(OFFICE_DEPUTY_TITLES)]
        else:
            lead, deputy = titles
            extra = ""
        if rng.random() < 0.45:
            secretary.admin_title = lead
        else:
            head = build.holders.get(str(PartyPost.DEPUTY_SECRETARY)) or working[rng.randrange(len(working))]
            if head is not secretary:
                head.admin_title = lead
            elif rng.random() < 0.5:
                secretary.admin_title = lead
        if b.size >= 15:
            free = [m for m in working if not m.admin_title]
            for m, title in zip(rng.sample(free, min(len(free), 2)), [deputy, extra], strict=False):
                if title:
                    m.admin_title = title

    # --- teams -----------------------------------------------------------------------------------

    def staff_teams(self, build: BranchBuild) -> None:
        """Put working people into the branch's teams; each red team gets a party member, most a "1+1" contact."""
        rng = self.rng
        teams = build.teams
        if not teams:
            return
        red = [t for t in teams if t._demo_red]
        working = [m for m in build.members if m.work_status == WorkStatus.WORKING]
        party = [m for m in working if m.category in PARTY]
        seeded = party[:]
        rng.shuffle(seeded)
        for team, m in zip(red, seeded, strict=False):
            m._demo_team = team
        for m in working:
            if m._demo_team is not None or rng.random() < 0.1:
                continue
            pool = red if m.category in PARTY else teams
            if pool:
                m._demo_team = pool[rng.randrange(len(pool))]
        for m in working:
            if m._demo_team is not None and m._demo_team.name in TEAM_POSTS and rng.random() < 0.85:
                m.job_post = TEAM_POSTS[m._demo_team.name]
        for team in teams:
            in_team = [m for m in working if m._demo_team is team]
            team_party = [m for m in in_team if m.category in PARTY]
            contact = None
            if team_party and rng.random() < 0.85:
                contact = team_party[rng.randrange(len(team_party))]
                if not contact.admin_title and rng.random() < 0.4:
                    contact.admin_title = "班长"
            elif not team_party and party and rng.random() < 0.5:
                contact = party[rng.randrange(len(party))]  # "1+1": a member from another team looks after it
            team._demo_contact = contact
            team.staff_count = len(in_team) + rng.randint(6, 35)
