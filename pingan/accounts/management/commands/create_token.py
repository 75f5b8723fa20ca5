from django.core.management.base import BaseCommand, CommandError

from pingan.accounts.actions import issue_token
from pingan.accounts.models import User
from pingan.core.errors import DomainError


class Command(BaseCommand):
    help = "为用户生成 API 令牌（只显示一次）；生成记入审计日志，操作人记为 system。"

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="命令行生成", help="令牌用途说明")

    def handle(self, *args, **options):
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"用户 {options['username']} 不存在。")
        try:
            _, token = issue_token(user, name=options["name"], by=None)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(token)
