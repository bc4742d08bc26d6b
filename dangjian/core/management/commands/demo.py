"""`python manage.py demo`: fill an empty database with the demo group and print the demo logins."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from dangjian.demo.generator import (
    DEFAULT_SEED,
    check_sizes,
    count_lines,
    database_counts,
    existing_logins,
    generate,
    logins_table,
    reset_demo_data,
)
from dangjian.orgs.models import Organization


class Command(BaseCommand):
    help = "生成演示数据：一个港口物流集团的党组织、班组、党员和各角色演示账号"

    def add_arguments(self, parser):
        parser.add_argument("--branches", type=int, default=None, help="党支部个数（默认约24个）")
        parser.add_argument("--members", type=int, default=None, help="人员总数（默认约600人）")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"随机种子（默认{DEFAULT_SEED}）")
        parser.add_argument("--reset", action="store_true",
                            help="先删除全部组织、人员、班组、用户和审计日志，再重新生成")
        parser.add_argument("--no-users", action="store_true", help="不创建演示账号")

    def handle(self, *args, **options):
        if Organization.objects.exists() and not options["reset"]:
            self.stdout.write("数据库中已有数据，跳过生成（如需重建请加 --reset）")
            self.stdout.write("\n".join(count_lines(*database_counts())))
            self._print_logins(existing_logins())
            return
        try:
            check_sizes(options["branches"], options["members"])
            with transaction.atomic():  # a failed rebuild leaves the old data in place
                if options["reset"]:
                    started = time.perf_counter()
                    reset_demo_data()
                    self.stdout.write(f"已清空原有数据（用时 {time.perf_counter() - started:.1f} 秒）")
                summary = generate(branches=options["branches"], members=options["members"],
                                   seed=options["seed"], with_users=not options["no_users"], stdout=self.stdout)
        except ValueError as exc:
            raise CommandError(str(exc))
        self.stdout.write(self.style.SUCCESS("\n".join(summary.lines())))
        self._print_logins(summary.logins)

    def _print_logins(self, logins):
        if not logins:
            self.stdout.write("没有演示账号。")
            return
        self.stdout.write("演示账号（点右上角“退出”后换一个账号登录，可体验不同角色）：")
        self.stdout.write("\n".join(logins_table(logins)))
