from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "运行后台任务（通知等）。--batch 处理完现有任务即退出。"

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="处理完队列中的任务后退出")
        parser.add_argument("--interval", type=float, default=1.0, help="队列为空时的轮询间隔（秒）")

    def handle(self, *args, **options):
        argv = ["--interval", str(options["interval"]), "--no-startup-delay"]
        if options["batch"]:
            argv.append("--batch")
        call_command("db_worker", *argv, verbosity=options["verbosity"])
