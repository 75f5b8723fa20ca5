from django.core.management.base import BaseCommand, CommandError

from pingan.accounts.models import User
from pingan.accounts.twofactor import reset_devices


class Command(BaseCommand):
    help = (
        "清除用户绑定的两步验证（如手机丢失），用户下次登录时重新绑定；记入审计日志，操作人记为 system。"
        "请先核实是本人申请。"
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, **options):
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"用户 {options['username']} 不存在。")
        removed = reset_devices(user, by=None)
        self.stdout.write(f"已清除 {user.username} 的 {removed} 个验证器，下次登录时需重新绑定。")
