"""What a figure or an entry is about: a region or a unit, named by exactly one of their codes."""

from pingan.core.errors import invalid

from .models import Region, Unit


def region_or_unit(region_code, unit_code) -> tuple[Region | None, Unit | None]:
    """The region or the unit from exactly one of their codes; a 400 naming the field otherwise."""
    if bool(region_code) == bool(unit_code):
        raise invalid({"region": "请填写区划代码或单位代码（二者选一）。"})
    if region_code:
        region = Region.objects.filter(code=str(region_code)).first()
        if region is None:
            raise invalid({"region": f"区划代码“{region_code}”不存在。"})
        return region, None
    unit = Unit.objects.select_related("region").filter(code=str(unit_code)).first()
    if unit is None:
        raise invalid({"unit": f"单位代码“{unit_code}”不存在。"})
    return None, unit
