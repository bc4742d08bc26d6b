"""evaluate --scheme CODE --org CODE --year YYYY [--period P] [--json]: a scheme's results over a subtree.

The same results as the overview page, the Excel export and GET /api/assessment (selectors.results +
selectors.to_json: the confirmed, frozen result where there is one, the live evaluation otherwise).
"""

import json
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from dangjian.assessment.api import period_for, results_data, scheme_or_error
from dangjian.orgs.models import Organization

SHOWN_MISSING = 3  # missing-data notes printed per subject before "等"


def error_text(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "；".join(m for msgs in exc.message_dict.values() for m in msgs)
    return "；".join(exc.messages)


def number(value: Any) -> str:
    if value is None:
        return "—"
    text = f"{Decimal(str(value)):.2f}".rstrip("0").rstrip(".")
    return text or "0"


def subject_label(result: dict[str, Any]) -> str:
    name, code = str(result.get("subject_name") or ""), str(result.get("subject") or "")
    return f"{name}（{code}）" if code and code != name else (name or code)


class Command(BaseCommand):
    help = "按考核方案评价一个组织及其下级（达标创星、双百考核、岗位KPI、五好班组、示范岗）"

    def add_arguments(self, parser):
        parser.add_argument("--scheme", required=True, help="考核方案编码，如 dabiao-chuangxing")
        parser.add_argument("--org", required=True, help="组织编码")
        parser.add_argument("--year", required=True, help="年度，如 2026")
        parser.add_argument("--period", default="", help="按月或按季度评价的方案：期间，如 2026-03、2026-Q2")
        parser.add_argument("--json", action="store_true", help="输出 JSON")

    def handle(self, *args, **options):
        org = Organization.objects.filter(code=options["org"].strip()).first()
        if org is None:
            raise CommandError(f"组织编码“{options['org']}”不存在")
        text = str(options["year"]).strip()
        if not (text.isdigit() and len(text) == 4 and 2000 <= int(text) <= 2100):
            raise CommandError(f"年度“{text}”无效，应为2000至2100之间的四位数字，如 2026")
        year = int(text)
        try:
            scheme = scheme_or_error(options["scheme"])
            period = period_for(scheme, year, options["period"])
        except ValidationError as exc:
            raise CommandError(error_text(exc))
        data = results_data(scheme, org, year, period)
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        self._table(scheme, org, period, data)

    def _table(self, scheme: dict[str, Any], org: Organization, period: str, data: dict[str, Any]) -> None:
        results = data.get("results") or []
        when = f"{period}年度" if scheme.get("period") == "year" else period
        self.stdout.write(f"{scheme['name']}（{scheme['code']} 版本 {scheme['version']}）：{org.name}（{org.code}），{when}")
        if not results:
            self.stdout.write("没有考核对象。")
            return
        dimensions = [d["name"] for d in scheme["dimensions"].values()]
        self.stdout.write("\t".join(["排名", "考核对象", *dimensions, "总分", "等级", "一票否决", "结果", "缺少数据"]))
        for r in results:
            dims = r.get("dimensions") or {}
            vetoes = "、".join(v.get("reason") or v.get("code", "") for v in r.get("vetoes") or []) or (
                "是" if r.get("vetoed") else "—")
            state = "实时计算" if r.get("live") else f"已认定（第{r.get('version')}版）"
            self.stdout.write("\t".join([str(r.get("rank", "")), subject_label(r),
                                         *[number(dims.get(d)) for d in dimensions], number(r.get("score")),
                                         r.get("level") or "—", vetoes, state, str(len(r.get("missing") or []))]))
        counts: dict[str, int] = {}
        for r in results:
            counts[r.get("level") or "—"] = counts.get(r.get("level") or "—", 0) + 1
        order = [level["name"] for level in scheme["levels"]]
        self.stdout.write("等级分布：" + "，".join(f"{name} {counts[name]}" for name in order if name in counts))
        missing = [(r, r.get("missing") or []) for r in results if r.get("missing")]
        if missing:
            self.stdout.write(f"有{len(missing)}个对象的考核项缺少数据或待评审（按0分计）：")
            for r, notes in missing:
                more = f"等，共{len(notes)}项" if len(notes) > SHOWN_MISSING else ""
                self.stdout.write(f"  {subject_label(r)}：{'；'.join(notes[:SHOWN_MISSING])}{more}")
