"""What the portal offers a resident, and where each choice files its report.

The public files only `request`, `hazard` and `tip` (DESIGN §7). Disputes are what residents most often
bring to a 综治中心, so 矛盾纠纷 is a choice of its own that files a `request` under the category 矛盾纠纷
(R06, cases migration 0006) and its subcategories. An admin may rename, extend or switch that category
off; switched off, the choice and its mention on the home page go with it.
"""

from dataclasses import dataclass

from pingan.cases.models import Category
from pingan.core.errors import invalid


@dataclass(frozen=True)
class Choice:
    key: str
    stream: str
    title: str
    hint: str
    topic: str  # how the home page's introduction names what this choice takes
    root: str = ""  # a category subtree; "" takes the stream's categories outside every other choice's
    named: bool = False  # a mediator must reach the reporter: the form starts on 实名


CHOICES = (
    Choice(
        "dispute",
        "request",
        "调解矛盾纠纷",
        "邻里、婚姻家庭、劳资欠薪、房屋宅基地、物业、消费等纠纷，申请综治中心组织调解",
        "矛盾纠纷",
        root="R06",
        named=True,
    ),
    Choice(
        "request",
        "request",
        "反映诉求",
        "咨询、求助、投诉、建议，如噪音扰民、公共设施损坏",
        "咨询求助和投诉建议",
    ),
    Choice(
        "hazard", "hazard", "报告安全隐患", "如消防通道堵塞、燃气泄漏、危房、道路塌陷、违规施工", "安全隐患"
    ),
    Choice(
        "tip",
        "tip",
        "举报违法犯罪线索",
        "涉黑涉恶、黄赌毒、欺行霸市等；可以匿名，线索严格保密",
        "违法犯罪线索",
    ),
)


def offered() -> list[Choice]:
    """The choices the configuration supports: one tied to a category needs that category in use."""
    roots = {c.root for c in CHOICES if c.root}
    active = set(Category.objects.filter(code__in=roots, active=True).values_list("code", flat=True))
    return [c for c in CHOICES if not c.root or c.root in active]


def find(key: str) -> Choice | None:
    return next((c for c in offered() if c.key == key), None)


def introduction(choices: list[Choice]) -> str:
    """The home page's promise, naming exactly what is offered."""
    return "、".join(c.topic for c in choices)


def categories(choice: Choice) -> list[Category]:
    """The categories a reporter picks from: the choice's subtree below its root, or the stream's
    categories that no other offered choice claims."""
    rows = list(Category.objects.filter(stream=choice.stream, active=True).order_by("sort", "code"))
    parent = {c.pk: c.parent_id for c in rows}
    code_of = {c.pk: c.code for c in rows}

    def roots_above(cat: Category) -> set[str]:
        found: set[str] = set()
        pk: int | None = cat.pk
        while pk is not None:
            found.add(code_of.get(pk, ""))
            pk = parent.get(pk)
        return found

    if choice.root:
        return [c for c in rows if c.code != choice.root and choice.root in roots_above(c)]
    claimed = {c.root for c in offered() if c.root and c.stream == choice.stream}
    return [c for c in rows if not roots_above(c) & claimed]


def category_code(choice: Choice, typed: str) -> str | None:
    """The category a report of this choice files under: the one picked from its list, or its root
    (the dispatcher classifies further), or none for a choice without a root."""
    if not typed:
        return choice.root or None
    if typed not in {c.code for c in categories(choice)}:
        raise invalid({"category": "请从列表中选择类别"})
    return typed
