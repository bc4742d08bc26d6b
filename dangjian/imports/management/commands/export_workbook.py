"""python manage.py export_workbook PATH [--org CODE] [--sheets 组织,班组,党员]"""

from django.core.management.base import BaseCommand, CommandError

from dangjian.core.treepaths import subtree_q
from dangjian.imports.exporter import write_workbook
from dangjian.orgs.models import Member, Organization, WorkTeam


class Command(BaseCommand):
    help = "按标准导入模板格式导出组织、班组和党员（未脱敏，可再次导入）"

    def add_arguments(self, parser):
        parser.add_argument("path", help="导出的.xlsx文件")
        parser.add_argument("--org", default="", help="只导出该组织及其下级（附带其上级组织行，使文件可独立导入）")
        parser.add_argument("--sheets", default="", help="只导出这些表，逗号分隔，如：组织,班组,党员（默认全部）")

    def handle(self, *args, path: str, org: str, sheets: str = "", **options):
        from dangjian.imports.sheets import handlers

        names = [n.strip() for n in sheets.replace("，", ",").split(",") if n.strip()] or None
        known = [h.spec.name for h in handlers()]
        unknown = [n for n in names or [] if n not in known]
        if unknown:
            raise CommandError(f"没有这些表：{'、'.join(unknown)}（可选：{'、'.join(known)}）")
        root = None
        if org:
            root = Organization.objects.filter(code=org.strip()).first()
            if root is None:
                raise CommandError(f"组织编码“{org}”不存在")
        if not path.lower().endswith(".xlsx"):
            raise CommandError("导出文件名应以.xlsx结尾")
        try:
            write_workbook(path, root=root, sheets=names)
        except OSError as exc:
            raise CommandError(f"无法写入文件{path}：{exc.strerror or exc}")
        prefix = root.path if root else ""
        self.stdout.write(self.style.SUCCESS(
            f"已导出到{path}：组织{Organization.objects.filter(subtree_q(prefix)).count()}个，"
            f"班组{WorkTeam.objects.filter(subtree_q(prefix, 'branch__path')).count()}个，"
            f"党员{Member.objects.filter(subtree_q(prefix, 'branch__path')).count()}人"
        ))
