from django.core.management.base import BaseCommand, CommandError

from pingan.accounts.models import ApiToken, User


class Command(BaseCommand):
    help = "为用户生成 API 令牌（只显示一次）。"

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="命令行生成", help="令牌用途说明")

    def handle(self, *args, **options):
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"用户 {options['username']} 不存在。")
        _, token = ApiToken.issue(user, name=options["name"])
        self.stdout.write(token)
