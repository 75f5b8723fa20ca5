"""`pingan train`: learn the 智能建议 model from the county's closed cases, offline."""

import time
from datetime import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from pingan.suggest.training import MIN_CASES, Accuracy, closed_cases, train


def _line(label: str, a: Accuracy | None) -> str:
    if a is None:
        return f"  {label}：留出的案件太少，未评估"
    return f"  {label}：首选命中 {a.top1:.1%}，前三命中 {a.top3:.1%}（{a.cases} 件）"


class Command(BaseCommand):
    help = "用本县已结案、已归档的案件训练分类和牵头单位的建议模型，并报告留出案件上的准确率"

    def add_arguments(self, parser):
        parser.add_argument(
            "--holdout", type=float, default=0.2, help="留出检验的比例（默认 0.2；0 为不评估、全部用于训练）"
        )
        parser.add_argument("--seed", type=int, default=0, help="划分留出案件的随机种子（默认 0）")
        parser.add_argument(
            "--limit", type=int, default=200_000, help="最多读取最近结案的多少件（默认 200000）"
        )

    def handle(self, *args, holdout: float, seed: int, limit: int, **options):
        if not 0 <= holdout < 1:
            raise CommandError("--holdout 应不小于 0 且小于 1，如 0.2")
        if limit < MIN_CASES:
            raise CommandError(f"--limit 不能小于 {MIN_CASES}")
        started = time.perf_counter()
        self.stdout.write("读取已结案、已归档的案件（标题、内容、区划、分类、牵头单位；不含个人信息）…")
        rows = closed_cases(limit)
        if len(rows) < MIN_CASES:
            raise CommandError(f"可用于训练的已结案案件只有 {len(rows)} 件，至少需要 {MIN_CASES} 件。")
        model, report = train(rows, holdout=holdout, seed=seed, say=self.stdout.write)
        path = settings.SUGGEST_MODEL
        model.save(path)
        if report is not None:
            self.stdout.write(f"留出 {report.held_out} 件检验的准确率：")
            self.stdout.write(_line("分类（按标题和内容）", report.category))
            self.stdout.write(_line("牵头单位（按标题、内容、地点和已选分类）", report.unit))
            self.stdout.write(_line("牵头单位（分类也由模型推测）", report.unit_from_text))
        trained_at = timezone.localtime(datetime.fromisoformat(model.meta["trained_at"]))
        self.stdout.write(
            f"模型已保存：{path}（{trained_at:%Y-%m-%d %H:%M} 训练，{len(rows)} 件案件，"
            f"用时 {time.perf_counter() - started:.1f} 秒）。运行中的服务会自动改用新模型。"
        )
