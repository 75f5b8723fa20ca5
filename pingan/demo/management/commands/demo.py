"""`pingan demo`: a working demo from nothing (DESIGN §10).

Key, database, the 示范县 with ~20,000 cases, one user per role with fresh passwords, then the server
with the task worker and the overdue sweep beside it, so that notices and escalations happen as they
would in production. Run it again and it keeps the data and only gives the demo users new passwords.
"""

import os
import unicodedata
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from pingan.accounts.actions import set_password
from pingan.accounts.models import RoleGrant, User
from pingan.cases.models import Case
from pingan.core.crypto import new_key
from pingan.demo import background
from pingan.demo.county import ROLE_USERS, demo_password
from pingan.portal.public import submit_report
from pingan.suggest.training import MIN_CASES, closed_cases

from .seed import seed_cases, seed_county
from .serve import ensure_port_free

PARTS = {"serve": "网站服务", "worker": "后台任务处理", "sweep": "超期巡检"}


def _write_private(path: Path, text: str) -> None:
    """Created 0600 from the first byte, so a secret is never readable by others, even briefly."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    path.chmod(0o600)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _table(rows: list[list[str]]) -> str:
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell + " " * (w - _width(cell)) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


OTP_NOTE = (
    "两步验证：custodian（身份保管人）和 admin（系统管理员）首次登录后须先绑定手机身份验证器——"
    "页面显示二维码和密钥，用 App 扫码（或手动输入密钥）后填入 6 位验证码即可，以后每次登录都要输入验证码；"
    "其他账号可在页首“两步验证”中自愿开启。换手机或丢失时运行 pingan reset_otp 用户名 清除绑定。\n"
)


class Command(BaseCommand):
    help = "一键启动演示：初始化数据库、生成演示县和模拟案件、打印演示账号并启动服务"

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=20000, help="首次生成的案件数（默认 20000）")
        parser.add_argument("--no-serve", action="store_true", help="只准备数据，不启动服务")
        parser.add_argument("--port", type=int, default=8000, help="服务端口（默认 8000）")
        parser.add_argument(
            "--sweep-minutes", type=float, default=5, help="服务期间超期巡检的间隔（分钟，默认 5）"
        )

    def handle(self, *args, cases: int, no_serve: bool, port: int, sweep_minutes: float, **options):
        if not no_serve:  # before a minute of seeding, not after
            ensure_port_free("127.0.0.1", port, "demo")
            if sweep_minutes <= 0:
                raise CommandError("--sweep-minutes 应大于 0")
        self.ensure_field_key()
        self.stdout.write("正在初始化数据库…")
        call_command("migrate", verbosity=0)
        count = Case.objects.count()
        if count:
            self.stdout.write(f"数据库中已有演示数据（{count} 件案件），不再重复生成；演示账号已换用新密码。")
            county, passwords = seed_county(self.stdout)
            passwords = passwords or self.reset_passwords()
        else:
            county, passwords = seed_county(self.stdout)
            self.stdout.write(f"正在生成 {cases} 件模拟案件…")
            seed_cases(self.stdout, county, cases)
        self.train_suggestions()
        self.print_logins(passwords)
        self.print_portal(port)
        if not no_serve:
            call_command("collectstatic", interactive=False, verbosity=0)
            self.serve(port, sweep_minutes)

    def serve(self, port: int, sweep_minutes: float) -> None:
        """The server, the task worker and the sweep (the first at once), as processes side by side."""
        self.stdout.write("后台任务处理已启动（消息提醒）。")
        self.stdout.write(f"超期巡检每 {sweep_minutes:g} 分钟运行一次（现在先运行一次）。")
        self.stdout.flush()  # before the children write to the same terminal
        connections.close_all()  # the demo itself is done with the database
        ended = background.run_together(
            ["serve", "--host", "127.0.0.1", "--port", str(port)],
            ["worker", "--verbosity", "0"],
            ["sweep", "--every", f"{sweep_minutes:g}"],
        )
        if ended is not None:
            command, code = ended
            raise CommandError(f"{PARTS[command]}意外停止（退出码 {code}），演示已全部停止。")
        self.stdout.write("演示已停止。")

    def ensure_field_key(self) -> None:
        """The key must exist before the first piece of personal data is written."""
        if settings.FIELD_KEY or settings.FIELD_KEY_FILE.exists():
            return
        _write_private(settings.FIELD_KEY_FILE, new_key() + "\n")
        self.stdout.write(
            f"已生成个人信息加密密钥：{settings.FIELD_KEY_FILE}（请妥善保管，丢失后已加密数据无法解密）"
        )

    def train_suggestions(self) -> None:
        """The 智能建议 model, once: a few seconds for the demo's 20,000 cases."""
        if settings.SUGGEST_MODEL.exists():
            return
        if len(closed_cases(MIN_CASES)) < MIN_CASES:
            self.stdout.write("已结案案件太少，暂不训练智能建议模型；案件多了以后运行 pingan train。")
            return
        self.stdout.write("正在用已结案案件训练智能建议模型（登记时建议分类、分派时建议牵头单位）…")
        call_command("train", "--holdout", "0", stdout=self.stdout)
        self.stdout.write("需要查看建议的准确率时，运行 pingan train（留出两成案件检验后重新训练）。")

    def reset_passwords(self) -> dict[str, str]:
        """Through the audited action, as the system: the users' old API tokens die with the passwords."""
        passwords = {}
        for user in User.objects.filter(username__in=ROLE_USERS):
            passwords[user.username] = demo_password()
            set_password(user, passwords[user.username], by=None)
        return passwords

    def print_portal(self, port: int) -> None:
        """A fresh anonymous report, so that the receipt lookup can be tried at once."""
        _, code = submit_report(
            {
                "stream": "hazard",
                "description": "演示：公园东门的路灯杆倾斜，下雨天有漏电危险。",
                "anonymous": True,
            }
        )
        self.stdout.write(
            f"群众反映（无需登录）：http://127.0.0.1:{port}/portal/\n"
            f"  刚提交了一件演示用的匿名隐患报告，查询码 {code}，可在“查询办理进度”中输入。\n"
        )

    def print_logins(self, passwords: dict[str, str]) -> None:
        grants: dict[str, list[RoleGrant]] = {}
        found = RoleGrant.objects.filter(user__username__in=passwords).order_by("id")
        for g in found.select_related("user", "region", "unit"):
            grants.setdefault(g.user.username, []).append(g)
        rows = [["用户名", "角色", "管辖范围", "密码"]]
        for username in sorted(passwords, key=lambda u: ROLE_USERS.index(u) if u in ROLE_USERS else 99):
            mine = grants.get(username, [])
            roles = "、".join(dict.fromkeys(g.get_role_display() for g in mine))
            scope = "、".join(dict.fromkeys(str(g.region.name if g.region else g.unit) for g in mine))
            rows.append([username, roles, scope, passwords[username]])
        table = _table(rows)
        path = settings.VAR_DIR / "demo-logins.txt"
        _write_private(path, f"平安演示账号\n\n{table}\n")
        self.stdout.write(f"\n演示账号（已保存到 {path}，仅本人可读）：\n\n{table}\n")
        self.stdout.write(OTP_NOTE)
