"""Suggestions for one case being registered or dispatched, limited to what the user may choose.

The model file is read once per process and read again when `pingan train` replaces it. Without a model
(never trained, or a file this version cannot read) there are simply no suggestions.
"""

import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db.models import Q

from pingan.accounts.scope import Scope, scope_of
from pingan.cases.actions import CREATE_ROLES
from pingan.cases.models import Case, Category
from pingan.cases.tips import excluded_units, touches
from pingan.cases.workflow import is_legal, may_take
from pingan.regions.models import Unit, subtree_q, with_ancestors

from .model import Model, place_tokens, text_of
from .schemas import SuggestIn

logger = logging.getLogger(__name__)

SHOWN = 3
# Below this a suggestion is noise, not a hint.
MIN_CONFIDENCE = 0.05


@dataclass(frozen=True)
class Suggestion:
    code: str
    name: str
    confidence: float  # 0–1, the model's probability


@dataclass(frozen=True)
class Suggestions:
    trained: bool
    trained_at: datetime | None
    category: list[Suggestion]
    lead_unit: list[Suggestion]


NONE = Suggestions(trained=False, trained_at=None, category=[], lead_unit=[])

_lock = threading.Lock()
_cached: tuple[tuple, Model | None] | None = None


def model_exists() -> bool:
    """Is there a model file at all? A look at the directory, not a read of the model."""
    return Path(settings.SUGGEST_MODEL).exists()


def current_model() -> Model | None:
    """The model in SUGGEST_MODEL, cached per process and keyed by the file's identity and time."""
    global _cached
    path = Path(settings.SUGGEST_MODEL)
    try:
        st = path.stat()
    except OSError:
        return None
    key = (str(path), st.st_ino, st.st_size, st.st_mtime_ns)
    with _lock:
        if _cached is None or _cached[0] != key:
            _cached = (key, _read(path))
        return _cached[1]


def _read(path: Path) -> Model | None:
    try:
        return Model.load(path)
    except (OSError, ValueError, KeyError) as e:  # a damaged file: no hints, and the log says why
        logger.warning("智能建议模型 %s 无法读取（%s），请重新运行 pingan train", path, e)
        return None


def categories_for(scope: Scope, stream: str | None) -> dict[str, str]:
    """Active categories of the streams the user may register (of `stream` only, when given)."""
    streams = {s for role, allowed in CREATE_ROLES.items() if role in scope.roles for s in allowed}
    if stream:
        streams &= {stream}
    rows = Category.objects.filter(active=True, stream__in=streams).select_related("parent")
    return {c.code: f"{c.parent.name} · {c.name}" if c.parent else c.name for c in rows}


def units_for(scope: Scope, case: Case | None = None) -> dict[str, str]:
    """Active units a dispatcher may hand a case to: those of the regions he dispatches for, and those
    of the regions above them (a county department serves every town). Another town's units are not
    his to choose; on a tip, nor are the units it is kept from (回避)."""
    areas = scope.regions_for("dispatcher")
    if not areas:
        return {}
    q = Q(region_id__in={code for a in areas for code in with_ancestors(a)})
    for area in areas:
        q |= subtree_q("region", area)
    kept_from = excluded_units(case) if case is not None else []
    units = Unit.objects.filter(q, active=True)
    return {u.code: u.name for u in units if not any(touches(u, x) for x in kept_from)}


def _best(probabilities: dict[str, float], choosable: dict[str, str]) -> list[Suggestion]:
    ranked = sorted(
        ((p, code) for code, p in probabilities.items() if code in choosable and p >= MIN_CONFIDENCE),
        reverse=True,
    )
    return [Suggestion(code, choosable[code], round(p, 3)) for p, code in ranked[:SHOWN]]


def suggest(user, query: SuggestIn, *, case: Case | None = None) -> Suggestions:
    """The likeliest categories and lead units for the case described by `query`, best first."""
    model = current_model()
    if model is None:
        return NONE
    scope = scope_of(user)
    text = text_of(query.title, query.description)
    categories = categories_for(scope, query.stream)
    category_p = model.category_probabilities(text)
    units = units_for(scope, case)
    unit_p: dict[str, float] = {}
    if units:
        # The unit depends on the category: the one chosen, else the one the text most likely has.
        category = query.category or max(category_p, key=category_p.__getitem__, default=None)
        unit_p = model.unit_probabilities(text, place_tokens(query.region, category))
    trained_at = model.meta.get("trained_at")
    return Suggestions(
        trained=True,
        trained_at=datetime.fromisoformat(trained_at) if trained_at else None,
        category=_best(category_p, categories),
        lead_unit=_best(unit_p, units),
    )


def units_for_dispatch(user, case: Case) -> list[Suggestion]:
    """Lead units for a case the user may dispatch now (none otherwise): from its words, place and
    category."""
    if not (is_legal(case, "dispatch") and may_take(scope_of(user), case, "dispatch")):
        return []
    query = SuggestIn(
        title=case.title,
        description=case.description,
        region=case.region_id,
        category=case.category.code if case.category else "",
    )
    return suggest(user, query, case=case).lead_unit
