"""`python manage.py create_api_token USERNAME [--name NAME]`: a personal API token, printed once."""

from django.core.management.base import BaseCommand, CommandError

from dangjian.core.api_auth import create_api_token
from dangjian.orgs.models import User


class Command(BaseCommand):
    help = "为用户创建个人API令牌（令牌只显示一次，系统只保存其摘要）"

    def add_arguments(self, parser):
        parser.add_argument("username", help="用户名")
        parser.add_argument("--name", default="命令行创建", help="令牌名称，便于识别用途（默认：命令行创建）")

    def handle(self, *args, username: str, name: str, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"用户“{username}”不存在")
        if not user.is_active:
            raise CommandError(f"用户“{username}”已停用，不能创建令牌")
        name = (name or "").strip()
        if not name:
            raise CommandError("令牌名称不能为空")
        if len(name) > 50:
            raise CommandError("令牌名称不能超过50个字")
        token, raw_key = create_api_token(user=user, name=name)
        self.stdout.write(f"已为用户“{username}”创建API令牌“{token.name}”（前缀 {token.prefix}）。")
        self.stdout.write("令牌只显示这一次，请妥善保存；调用接口时在请求头中提供：Authorization: Bearer <令牌>")
        self.stdout.write(raw_key)
