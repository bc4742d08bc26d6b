"""python manage.py import_workbook PATH [--dry-run]"""

from django.core.management.base import BaseCommand, CommandError

from dangjian.imports.importer import import_workbook


class Command(BaseCommand):
    help = "导入标准导入模板格式的Excel工作簿（整个工作簿一次导入：有任何错误就不写入任何数据）"

    def add_arguments(self, parser):
        parser.add_argument("path", help="要导入的.xlsx文件")
        parser.add_argument("--dry-run", action="store_true", help="只检查并汇总，不写入数据库")

    def handle(self, *args, path: str, dry_run: bool, **options):
        result = import_workbook(path, actor=None, dry_run=dry_run)
        for warning in result.warnings:
            self.stdout.write(self.style.WARNING(f"提示：{warning}"))
        if result.summary:
            self.stdout.write("检查结果：" if dry_run or result.errors else "导入结果：")
            for line in result.summary_lines():
                self.stdout.write(f"  {line}")
        if result.errors:
            for error in result.errors:
                self.stderr.write(str(error))
            raise CommandError(f"共{len(result.errors)}个错误，没有写入任何数据", returncode=1)
        if dry_run:
            self.stdout.write(self.style.SUCCESS("试运行：检查通过，没有写入任何数据"))
        else:
            self.stdout.write(self.style.SUCCESS("导入成功"))
