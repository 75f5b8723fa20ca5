"""The region tree (行政区划 → 网格) and the units that handle cases."""

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

CODE_LENGTHS = {6: "county", 9: "town", 12: "village", 15: "grid"}
MAX_CODE_LENGTH = 15
BOUNDARY_TYPES = ("Polygon", "MultiPolygon")
MAX_BOUNDARY_POINTS = 20_000


def with_ancestors(code: str) -> list[str]:
    """The code and those of every region above it (county first): a child's code extends its parent's."""
    return [code[:n] for n in CODE_LENGTHS if n <= len(code)]


def subtree_q(relation: str, code: str) -> Q:
    """Rows whose foreign key `relation` (to Region) lies in the subtree of `code`.

    Region codes are digit strings in which a child extends its parent's code. For a village or a
    grid the subtree is the range [code, code + "9…9"], served by a plain B-tree index. A county or a
    town covers so much of the table that walking the newest rows and filtering them is cheaper than
    an index range followed by a sort, so for those we write a prefix match that no index serves
    and the database reads in primary-key order instead.
    """
    if len(code) >= 12:
        upper = code + "9" * (MAX_CODE_LENGTH - len(code))
        return Q(**{f"{relation}_id__gte": code, f"{relation}_id__lte": upper})
    return Q(**{f"{relation}__code__startswith": code})


class Region(models.Model):
    class Level(models.TextChoices):
        COUNTY = "county", "县（区）"
        TOWN = "town", "乡镇（街道）"
        VILLAGE = "village", "村（社区）"
        GRID = "grid", "网格"

    code = models.CharField("区划代码", max_length=15, primary_key=True)
    name = models.CharField("名称", max_length=64)
    level = models.CharField("层级", max_length=8, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name="上级", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Kept for villages (村/社区): a town's or county's is the sum of its villages, never stored twice
    # where the two could disagree. An imported 常住人口 statistic for the year wins over it (see
    # pingan.focusareas.ranking).
    population = models.PositiveIntegerField(
        "常住人口",
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="村（社区）的常住人口（人），用于计算千人发案率；当年已导入“常住人口”统计数的，以统计数为准。",
    )

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    def save(self, *args, **kwargs):
        self.level = CODE_LENGTHS[len(self.code)]
        super().save(*args, **kwargs)

    def clean(self):
        if not self.code.isdigit() or len(self.code) not in CODE_LENGTHS:
            raise ValidationError({"code": "区划代码应为 6、9、12 或 15 位数字（县、乡镇、村社区、网格）。"})
        if self.parent_id and not self.code.startswith(self.parent_id):
            raise ValidationError({"parent": "下级区划的代码应以上级区划代码开头。"})
        if self.parent_id and len(self.parent_id) + 3 != len(self.code):
            raise ValidationError({"parent": "上级区划应恰好高一级。"})


class RegionOutline(models.Model):
    """A region's outline, for the small locator on a case page. Kept apart from the region row, so
    that the many reads and joins of regions never carry a surveyed polygon of thousands of points."""

    region = models.OneToOneField(
        Region, verbose_name="区划", primary_key=True, on_delete=models.CASCADE, related_name="outline"
    )
    geometry = models.JSONField(
        "边界（GeoJSON）",
        help_text="GeoJSON 几何对象：Polygon 或 MultiPolygon，坐标为 [经度, 纬度]，与案件坐标同一坐标系。"
        "乡镇（街道）填写后，案件页以此画出位置示意。",
    )

    class Meta:
        verbose_name = "区划边界"
        verbose_name_plural = "区划边界"

    def __str__(self) -> str:
        return f"{self.region_id} 边界"

    def clean(self):
        problem = boundary_problem(self.geometry)
        if problem:
            raise ValidationError({"geometry": problem})


def boundary_rings(geometry) -> list[list[tuple[float, float]]]:
    """The (lng, lat) rings of a Polygon or MultiPolygon: outer rings and holes alike."""
    if not isinstance(geometry, dict) or geometry.get("type") not in BOUNDARY_TYPES:
        return []
    polygons = geometry.get("coordinates") or []
    if geometry["type"] == "Polygon":
        polygons = [polygons]
    return [[(float(p[0]), float(p[1])) for p in ring] for polygon in polygons for ring in polygon]


def boundary_problem(geometry) -> str:
    """What is wrong with an outline, in words for the admin; "" when it is usable."""
    if not isinstance(geometry, dict) or geometry.get("type") not in BOUNDARY_TYPES:
        return "应为 GeoJSON 几何对象，type 为 Polygon 或 MultiPolygon。"
    try:
        rings = boundary_rings(geometry)
    except (TypeError, ValueError, IndexError, KeyError):
        return "coordinates 格式不正确：每个点应为 [经度, 纬度] 两个数。"
    if not rings or any(len(ring) < 4 or ring[0] != ring[-1] for ring in rings):
        return "每个环至少 4 个点，且首尾两点相同（闭合）。"
    points = [p for ring in rings for p in ring]
    if len(points) > MAX_BOUNDARY_POINTS:
        return f"点数过多（{len(points)}），请简化到 {MAX_BOUNDARY_POINTS} 个点以内。"
    if any(not (-180 <= lng <= 180 and -90 <= lat <= 90) for lng, lat in points):
        return "经度应在 -180～180、纬度应在 -90～90 之间。"
    return ""


class Unit(models.Model):
    class Kind(models.TextChoices):
        CENTRE = "centre", "综治中心"
        DEPARTMENT = "department", "职能部门"
        TOWN = "town", "乡镇（街道）"
        VILLAGE = "village", "村（社区）"
        POLICE = "police", "派出所"
        JUDICIAL = "judicial", "司法所"
        OTHER = "other", "其他"

    code = models.CharField("单位代码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=64)
    kind = models.CharField("类型", max_length=16, choices=Kind.choices, default=Kind.DEPARTMENT)
    region = models.ForeignKey(
        Region, verbose_name="所在区划", on_delete=models.PROTECT, related_name="units"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name="上级单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Materialised path of unit codes ("/A/B/"), kept by save(); a grant on a unit covers its subtree.
    path = models.CharField(max_length=512, editable=False, db_index=True)
    active = models.BooleanField("在用", default=True)

    class Meta:
        verbose_name = "单位"
        verbose_name_plural = "单位"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.path = (self.parent.path if self.parent else "/") + self.code + "/"
        super().save(*args, **kwargs)
        for child in self.children.all():
            child.save()
