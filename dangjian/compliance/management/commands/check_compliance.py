"""check_compliance --org CODE --year YYYY [--as-of YYYY-MM-DD] [--json] [--sync]: the compliance check of a
subtree; --sync then creates rectification tasks for new findings and closes those whose finding is gone."""

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dangjian.compliance.engine import check, lookback_months
from dangjian.compliance.facts import load_facts
from dangjian.compliance.pack import load_pack
from dangjian.compliance.services import overrides_for, task_sync_from_findings
from dangjian.orgs.models import Organization

SEVERITY_LABELS = {"danger": "问题", "warning": "提醒"}
COLOUR_LABELS = {"green": "正常", "amber": "待完成", "red": "有问题"}


class Command(BaseCommand):
    help = "对一个组织及其下级检查某年度组织生活是否规范"

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="组织编码")
        parser.add_argument("--year", required=True, type=int, help="年度，如 2024")
        parser.add_argument("--as-of", dest="as_of", default="", help="检查日期 YYYY-MM-DD（默认今天）")
        parser.add_argument("--json", action="store_true", help="输出 JSON")
        parser.add_argument("--sync", action="store_true", help="检查后同步整改任务（新问题建任务，已消除的自动销号）")

    def handle(self, *args, **options):
        org = Organization.objects.filter(code=options["org"].strip()).first()
        if org is None:
            raise CommandError(f"组织编码“{options['org']}”不存在")
        year = options["year"]
        if not 2000 <= year <= 2100:
            raise CommandError(f"年度“{year}”无效")
        try:
            as_of = dt.date.fromisoformat(options["as_of"]) if options["as_of"] else timezone.localdate()
        except ValueError:
            raise CommandError(f"检查日期“{options['as_of']}”无效，应为 YYYY-MM-DD")
        pack = load_pack()
        result = check(load_facts(org, year, lookback_months(pack)), pack, year, as_of, overrides_for(org.path))
        synced = None
        if options["sync"]:
            synced = task_sync_from_findings(actor=None, root=org, findings=result.findings, as_of=as_of, year=year,
                                             source="command")
        if options["json"]:
            data = {"org": org.code, "year": year, "as_of": as_of.isoformat(), "pack": pack["code"],
                    "findings": [f.as_dict() for f in result.findings],
                    "status": [s.as_dict() for s in result.status]}
            if synced is not None:
                data["sync"] = {"created": synced[0], "closed": synced[1]}
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"规范化检查：{org.name}（{org.code}） {year}年度，截至{as_of.isoformat()}，"
                          f"规则包 {pack['name']}")
        if not result.findings:
            self.stdout.write("未发现问题。")
        else:
            self.stdout.write(f"发现{len(result.findings)}项：")
            self.stdout.write("规则\t组织\t期间\t活动\t党员\t级别\t说明")
            for f in result.findings:
                self.stdout.write("\t".join([f.rule, f.org, f.period or "—", f.activity or "—", f.member or "—",
                                             SEVERITY_LABELS.get(f.severity, f.severity), f.message]))
        amber = [s for s in result.status if s.colour == "amber"]
        if amber:
            self.stdout.write("本期尚未完成：" + "、".join(f"{s.org} {s.period}" for s in amber))
        if synced is not None:
            self.stdout.write(f"整改任务：新建{synced[0]}项，自动销号{synced[1]}项。")
