from django.core.management import call_command
from django.core.management.base import BaseCommand

from pingan.core.taskqueue import requeue_abandoned, worker_id


class Command(BaseCommand):
    help = "运行后台任务（通知等）。--batch 处理完现有任务即退出。"

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="处理完队列中的任务后退出")
        parser.add_argument("--interval", type=float, default=1.0, help="队列为空时的轮询间隔（秒）")

    def handle(self, *args, **options):
        requeued = requeue_abandoned()
        if requeued:
            self.stdout.write(f"已重新排队 {requeued} 个因工作进程中断而未完成的任务")
        argv = ["--interval", str(options["interval"]), "--no-startup-delay", "--worker-id", worker_id()]
        if options["batch"]:
            argv.append("--batch")
        call_command("db_worker", *argv, verbosity=options["verbosity"])
