from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from pingan.accounts.actions import issue_token
from pingan.accounts.models import User
from pingan.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "为用户生成 API 令牌（只显示一次）；生成记入审计日志，操作人记为 system。"
        "令牌在 PINGAN_TOKEN_DAYS 天（默认 90 天）后失效，用户改密码时也一并失效。"
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="命令行生成", help="令牌用途说明")

    def handle(self, *args, **options):
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"用户 {options['username']} 不存在。")
        try:
            row, token = issue_token(user, name=options["name"], by=None)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        # The token alone on stdout, so that TOKEN=$(pingan create_token USER) keeps working.
        self.stdout.write(token)
        expires = timezone.localtime(row.expires_at).strftime("%Y-%m-%d %H:%M")
        self.stderr.write(f"令牌有效期至 {expires}（北京时间）；{user.username} 修改密码后即失效。")
