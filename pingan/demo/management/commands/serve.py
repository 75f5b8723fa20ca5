"""`pingan serve`: the WSGI application under gunicorn, started from Python."""

import errno
import os
import socket

from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from pingan.wsgi import application

        return application


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def ensure_port_free(host: str, port: int, command: str) -> None:
    """Say in Chinese, and before any work, what gunicorn would only say in English once started."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As gunicorn binds: a connection of a server that just stopped (TIME_WAIT) is no obstacle.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise CommandError(
                    f"端口 {port} 已被占用。请先关闭占用该端口的程序，"
                    f"或换一个端口：pingan {command} --port {port + 1 if port < 65535 else port - 1}"
                ) from None
            raise CommandError(f"无法在 {host} 的端口 {port} 上启动服务：{exc.strerror}") from None


class Command(BaseCommand):
    help = "用 gunicorn 启动平安服务"

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1）")
        parser.add_argument("--port", type=int, default=8000, help="端口（默认 8000）")
        parser.add_argument(
            "--workers", type=int, default=2 * _cores(), help="工作进程数（默认为 CPU 核数的两倍）"
        )

    def handle(self, *args, host: str, port: int, workers: int, **options):
        ensure_port_free(host, port, "serve")
        # Workers are forked from this process: they must not share its database connections.
        connections.close_all()
        shown = f"[{host}]" if ":" in host else host
        url = f"http://{shown}:{port}/"
        self.stdout.write(self.style.SUCCESS(f"平安已启动：{url}（{workers} 个工作进程，按 Ctrl+C 停止）"))
        self.stdout.flush()
        _Gunicorn(
            {
                "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
                "workers": workers,
                "threads": 1,
                "accesslog": None,
                "errorlog": "-",
                "loglevel": "warning",
                "timeout": 60,
            }
        ).run()
