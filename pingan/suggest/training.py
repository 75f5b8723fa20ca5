"""Training on the county's closed cases (`pingan train`), with accuracy measured on cases held out.

Only the case's own words and its classification are read: title, description, region, category and
lead unit. Reporters and parties (the encrypted personal data) are never decrypted. Tips stay out: their
content is for the centre's dispatchers, the lead unit and custodians only (DESIGN §8), and the model
serves everyone who registers cases. Purged cases stay out too: their text is gone.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

from pingan.cases.models import Case, Status, Stream

from . import model as m

TRAINED_ON = (Status.CLOSED, Status.ARCHIVED)
# Below this many cases a field is not learnt at all, and below HELD_OUT_MIN held-out cases no accuracy
# is reported: a handful of cases says nothing.
MIN_CASES = 20
HELD_OUT_MIN = 10


@dataclass(frozen=True)
class Row:
    text: str
    region: str
    category: str | None
    unit: str | None


def closed_cases(limit: int) -> list[Row]:
    """The newest `limit` closed or archived cases with a category, tips and purged cases left out."""
    rows = (
        Case.objects.filter(status__in=TRAINED_ON, purged_at__isnull=True, category__isnull=False)
        .exclude(stream=Stream.TIP)
        .order_by("-id")
        .values_list("title", "description", "region_id", "category__code", "lead_unit__code")[:limit]
    )
    return [Row(m.text_of(t, d), r, c, u) for t, d, r, c, u in rows.iterator(chunk_size=2000)]


@dataclass
class Accuracy:
    cases: int
    top1: float
    top3: float


@dataclass
class Report:
    cases: int
    held_out: int
    category: Accuracy | None  # from the text
    unit: Accuracy | None  # from text, place and the case's category (the dispatch form)
    unit_from_text: Accuracy | None  # from text and place, the category itself suggested (intake)


def split(rows: list[Row], holdout: float, seed: int) -> tuple[list[Row], list[Row]]:
    shuffled = rows[:]
    random.Random(seed).shuffle(shuffled)  # noqa: S311  (a reproducible split, not a secret)
    cut = round(len(shuffled) * holdout)
    return shuffled[cut:], shuffled[:cut]


def fit(rows: list[Row], say: Callable[[str], None] = lambda _: None) -> m.Model:
    """Both classifiers on all of `rows`."""
    counts = m.counts([r.text for r in rows])
    idf = m.idf_of(counts)
    features = m.tfidf(counts, idf)
    category = unit = None
    if len({r.category for r in rows}) >= 2:
        say(f"学习分类（{len(rows)} 件）…")
        category = m.Head.fit(features, [r.category or "" for r in rows])
    routed = [i for i, r in enumerate(rows) if r.unit]
    if len(routed) >= MIN_CASES and len({rows[i].unit for i in routed}) >= 2:
        say(f"学习牵头单位（{len(routed)} 件）…")
        places = [m.place_tokens(rows[i].region, rows[i].category) for i in routed]
        unit = m.Head.fit(m.with_place(features[routed], places), [rows[i].unit or "" for i in routed])
    trained_at = timezone.now().isoformat(timespec="seconds")
    meta = {"format": m.FORMAT, "trained_at": trained_at, "cases": len(rows)}
    return m.Model(idf=idf, category=category, unit=unit, meta=meta)


def evaluate(trained: m.Model, held_out: list[Row]) -> Report:
    report = Report(cases=0, held_out=len(held_out), category=None, unit=None, unit_from_text=None)
    features = m.text_features([r.text for r in held_out], trained.idf)
    predicted: list[str | None] = [None] * len(held_out)
    if trained.category is not None and len(held_out) >= HELD_OUT_MIN:
        p = trained.category.probabilities(features)
        report.category = _accuracy(p, trained.category.classes, [r.category or "" for r in held_out])
        predicted = trained.category.classes[p.argmax(axis=1)].tolist()
    routed = [i for i, r in enumerate(held_out) if r.unit]
    if trained.unit is not None and len(routed) >= HELD_OUT_MIN:
        labels = [held_out[i].unit or "" for i in routed]
        for attr, categories in (
            ("unit", [held_out[i].category for i in routed]),
            ("unit_from_text", [predicted[i] for i in routed]),
        ):
            places = [m.place_tokens(held_out[i].region, c) for i, c in zip(routed, categories, strict=True)]
            p = trained.unit.probabilities(m.with_place(features[routed], places))
            setattr(report, attr, _accuracy(p, trained.unit.classes, labels))
    return report


def _accuracy(p, classes, labels: list[str]) -> Accuracy:
    return Accuracy(
        cases=len(labels),
        top1=m.top_k_accuracy(p, classes, labels, 1),
        top3=m.top_k_accuracy(p, classes, labels, 3),
    )


def train(
    rows: list[Row], *, holdout: float, seed: int, say: Callable[[str], None] = lambda _: None
) -> tuple[m.Model, Report | None]:
    """The model kept is trained on all `rows`. With a `holdout` share, a model trained without those
    cases is first measured on them: the figures estimate the kept model's accuracy."""
    report = None
    if holdout > 0:
        learn, held_out = split(rows, holdout, seed)
        say(f"评估：用 {len(learn)} 件训练，留出 {len(held_out)} 件检验…")
        report = evaluate(fit(learn), held_out)
        report.cases = len(rows)
        say("用全部案件重新训练…")
    final = fit(rows, say)
    if report is not None:
        final.meta["held_out"] = report.held_out
        final.meta["accuracy"] = {
            name: {"cases": a.cases, "top1": round(a.top1, 4), "top3": round(a.top3, 4)}
            for name in ("category", "unit", "unit_from_text")
            if (a := getattr(report, name)) is not None
        }
    return final, report
