"""python manage.py export_workbook PATH [--org CODE]"""

from django.core.management.base import BaseCommand, CommandError

from dangjian.core.treepaths import subtree_q
from dangjian.imports.exporter import write_workbook
from dangjian.orgs.models import Member, Organization, WorkTeam


class Command(BaseCommand):
    help = "按标准导入模板格式导出组织、班组和党员（未脱敏，可再次导入）"

    def add_arguments(self, parser):
        parser.add_argument("path", help="导出的.xlsx文件")
        parser.add_argument("--org", default="", help="只导出该组织及其下级（附带其上级组织行，使文件可独立导入）")

    def handle(self, *args, path: str, org: str, **options):
        root = None
        if org:
            root = Organization.objects.filter(code=org.strip()).first()
            if root is None:
                raise CommandError(f"组织编码“{org}”不存在")
        if not path.lower().endswith(".xlsx"):
            raise CommandError("导出文件名应以.xlsx结尾")
        try:
            write_workbook(path, root=root)
        except OSError as exc:
            raise CommandError(f"无法写入文件{path}：{exc.strerror or exc}")
        prefix = root.path if root else ""
        self.stdout.write(self.style.SUCCESS(
            f"已导出到{path}：组织{Organization.objects.filter(subtree_q(prefix)).count()}个，"
            f"班组{WorkTeam.objects.filter(subtree_q(prefix, 'branch__path')).count()}个，"
            f"党员{Member.objects.filter(subtree_q(prefix, 'branch__path')).count()}人"
        ))
