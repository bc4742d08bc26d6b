"""points --org CODE --year YYYY [--json] [--accrue] [--period P] [--category 名称]: the year's member points of
a subtree — rank, name, organization, total and grade of every party member, and the count per grade.

The table is selectors.year_table, the same as the ranking page, the Excel export and GET /api/points (with
--json the output is the API's JSON). --accrue first brings the automatic points up to date with the records
(attendance, 志愿服务, 民主评议) and prints what it wrote; running it again writes nothing.
"""

import json
import unicodedata

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from dangjian.orgs.models import Organization
from dangjian.points import selectors, services
from dangjian.points.api import parse_filters
from dangjian.points.schemas import number

HEADERS = ("名次", "姓名", "所在组织", "总分", "等次")


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def accrual_data(report) -> dict:
    return {"created": report.created, "reversed": report.reversed, "members": report.members}


def accrual_line(report) -> str:
    if not report.created and not report.reversed:
        return f"自动积分已是最新：涉及{report.members}人，未写入新记录。"
    return f"自动积分：新增{report.created}条，冲销{report.reversed}条（记录变更），涉及{report.members}人。"


def table_lines(table, category: str | None) -> list[str]:
    rows = [HEADERS]
    for r in table.rows:
        score = r.total if category is None else r.categories[category].value
        rows.append((str(r.rank), r.name, r.org_name, _text(score), r.grade or "—"))
    widths = [max(display_width(row[i]) for row in rows) for i in range(len(HEADERS))]
    return ["  ".join(cell + " " * (widths[i] - display_width(cell)) for i, cell in enumerate(row)).rstrip()
            for row in rows]


def _text(value) -> str:
    return str(number(value))


class Command(BaseCommand):
    help = "查看一个组织及其下级党员某年度的积分：名次、姓名、所在组织、总分、等次，以及各等次人数"

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="组织编码")
        parser.add_argument("--year", required=True, type=int, help="年度，如 2026")
        parser.add_argument("--json", action="store_true", help="输出 JSON（与 GET /api/points 相同）")
        parser.add_argument("--accrue", action="store_true", help="先按出勤、志愿服务、民主评议记录计算自动积分")
        parser.add_argument("--period", default="", help="期间：月份 2026-03 或季度 2026-Q1（默认全年）")
        parser.add_argument("--category", default="", help="按此积分类别排名（类别名称，如 参加组织活动）")

    def handle(self, *args, **options):
        org = Organization.objects.filter(code=options["org"].strip()).first()
        if org is None:
            raise CommandError(f"组织编码“{options['org']}”不存在")
        year = options["year"]
        if not 2000 <= year <= 2100:
            raise CommandError(f"年度“{year}”无效，应为2000～2100之间的年份")
        try:
            category, period = parse_filters(org, year, options["category"], options["period"])
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages))
        report = services.accrue(root=org, year=year, actor=None, source="cli") if options["accrue"] else None
        table = selectors.year_table(org, year, category=category, period=period)
        if options["json"]:
            data = selectors.to_json(table)
            if report is not None:
                data["accrual"] = accrual_data(report)
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        self._print(org, year, table, category, period, report)

    def _print(self, org, year, table, category, period, report) -> None:
        if report is not None:
            self.stdout.write(accrual_line(report))
        pack = table.pack
        what = f"{period}" if period else f"{year}年度"
        by = f"，按“{pack['categories'][category]['name']}”排名" if category else ""
        self.stdout.write(f"党员积分：{org.name}（{org.code}） {what}{by}，规则包 {pack['name']}（{pack['version']}）")
        if not table.rows:
            self.stdout.write("该组织及其下级没有党员。")
            return
        self.stdout.write("\n".join(table_lines(table, category)))
        self.stdout.write(f"共{len(table.rows)}人。")
        if period is None:
            counts = "，".join(f"{name} {n}人" for name, n in table.grade_counts.items())
            self.stdout.write(f"等次：{counts}")
        else:
            self.stdout.write("等次只按全年总分评定，本期不评等次。")
