"""`pingan seed --cases N`: the demo county, its role users and N synthetic cases.
`pingan seed --grow K`: a seeded PostgreSQL data set made K times as large (pingan.demo.grow)."""

import time

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, OutputWrapper
from django.db import connection

from pingan.core.crypto import encrypt
from pingan.demo.accountability import seed_accountability
from pingan.demo.campaigns import seed_campaigns
from pingan.demo.county import County, build_county, create_role_users
from pingan.demo.creation import seed_creation
from pingan.demo.focusareas import seed_focus_areas, seed_incidents
from pingan.demo.generator import generate_cases, load_county
from pingan.demo.grow import GrowError, grow, vacuum
from pingan.demo.inspections import seed_inspections
from pingan.demo.reports import seed_reports
from pingan.demo.schemes import seed_schemes
from pingan.demo.screening import seed_screening
from pingan.demo.statistics import seed_statistics
from pingan.demo.surges import seed_surges
from pingan.regions.models import Region


def seed_county(out: OutputWrapper, towns: int = 12) -> tuple[County, dict[str, str]]:
    """The county in the database (built if the region table is empty) with its role users.
    Returns it with the passwords of the users created just now (none when they existed)."""
    if Region.objects.exists():
        county = load_county()
    else:
        out.write("正在生成演示县：区划、网格、单位和分派规则…")
        county = build_county(towns=towns)
    if "dispatcher" in county.users:
        return county, {}
    county = create_role_users(county)
    return county, dict(county.passwords)


def seed_cases(out: OutputWrapper, county: County, n: int, seed: int = 0) -> float:
    """Generate N cases with progress in Chinese; returns the seconds taken."""
    started = time.perf_counter()
    generate_cases(county, n, seed=seed, progress=lambda done, total: out.write(f"已生成 {done}/{total} 件…"))
    elapsed = time.perf_counter() - started
    out.write(f"共生成 {n} 件模拟案件，用时 {elapsed:.1f} 秒。")
    figures = seed_statistics(county, seed=seed)
    if figures:
        out.write(f"已录入 {figures} 个统计数值（公安、应急、消防等部门近两年的模拟数据）。")
    if seed_schemes():
        out.write("已建立乡镇（街道）和县直部门的平安建设考核方案（各 100 分）。")
    entries = seed_accountability(county)
    if entries:
        out.write(f"已登记 {entries} 条问责记录（挂牌、约谈和规则提出的问责建议）。")
    if seed_campaigns(county):
        out.write("已建立一项专项整治（集中整治阶段），含任务、问题清单和一轮回头看。")
    returns = seed_screening(county, seed=seed)
    if returns:
        out.write(f"已生成近三个月的矛盾纠纷排查月报 {returns} 份（少数逾期或未报）。")
    incidents = seed_incidents(county, seed=seed)
    if incidents:
        out.write(f"已录入 {incidents} 个村（社区）警情月度数（设有派出所的乡镇）。")
    if seed_focus_areas(county):
        out.write("已将千人发案率居前的两个村（社区）列为重点整治地区（另有一个已验收摘牌）。")
    alerts = seed_surges(county)
    if alerts:
        out.write(f"已运行研判预警，生成 {alerts} 条预警（其中一条已转为整改案件）。")
    places, inspections, findings = seed_inspections(county, seed=seed)
    if places:
        out.write(
            f"已登记 {places} 个排查场所，检查 {inspections} 次，发现隐患 {findings} 项（均为隐患案件）。"
        )
    applications = seed_creation(county, seed=seed)
    if applications:
        out.write(f"已生成平安创建项目、单位名册和去年、今年的创建申报 {applications} 份。")
    if seed_reports(county):
        out.write("已生成并发布近三个月的月通报。")
    return elapsed


class Command(BaseCommand):
    help = "生成演示县（区划为空时）、各角色演示账号和 N 件模拟案件"

    def add_arguments(self, parser):
        size = parser.add_mutually_exclusive_group()
        size.add_argument("--cases", type=int, default=20000, help="生成案件数（默认 20000）")
        size.add_argument(
            "--grow",
            type=int,
            metavar="K",
            help="不生成新案件，把已有的数据在数据库内复制为 K 倍（仅 PostgreSQL，供压测用）",
        )
        parser.add_argument(
            "--no-space-check",
            action="store_true",
            help="与 --grow 同用：不按估计的磁盘占用上限拒绝扩增",
        )
        parser.add_argument("--towns", type=int, default=12, help="乡镇（街道）数，1–12（默认 12）")
        parser.add_argument("--seed", type=int, default=0, help="随机种子：种子相同，生成的数据相同")

    def handle(self, *args, cases: int, towns: int, seed: int, grow: int | None = None, **options):
        if grow is not None:
            self.grow(grow, check_space=not options.get("no_space_check"))
            return
        if not 1 <= towns <= 12:
            raise CommandError("--towns 应在 1 到 12 之间")
        try:
            encrypt("")  # stop before writing anything if personal data cannot be encrypted
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        if Region.objects.exists():
            self.stdout.write("已有区划数据，沿用现有的演示县。")
        county, passwords = seed_county(self.stdout, towns)
        if passwords:
            self.stdout.write("已创建演示账号（密码只显示这一次）：")
            for username, password in passwords.items():
                self.stdout.write(f"  {username:<12} {password}")
        seed_cases(self.stdout, county, cases, seed)

    def grow(self, factor: int, check_space: bool) -> None:
        try:
            grown = grow(factor, progress=self.stdout.write, check_space=check_space)
        except GrowError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"扩增完成：{grown.cases_before} 件 → {grown.cases_after} 件，复制 {grown.rows_copied} 行，"
            f"用时 {grown.seconds:.1f} 秒。"
        )
        if not connection.in_atomic_block:  # VACUUM cannot run inside a transaction
            vacuum(progress=self.stdout.write)
