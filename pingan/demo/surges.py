"""研判预警 for the demo county: a few cases registered through the real intake so that the daily job has
something to find — neighbours' disputes piling up in one village this week, complaints about one
housing estate within three days, a large 欠薪 group case — and the job run for last week (its group
case turned into a rectification case) and for today. Cheap: a dozen cases and two detection runs."""

from datetime import timedelta

from django.utils import timezone

from pingan.cases.actions import create_case
from pingan.surges.actions import open_case, run_detection
from pingan.surges.detection import midnight
from pingan.surges.models import SurgeAlert

from .county import County

NEIGHBOURS = [
    ("邻里因排水沟堵塞发生争执", "两户村民因屋后排水沟堵塞、雨水倒灌互相指责，发生口角。"),
    ("邻居违规搭建遮挡采光引发纠纷", "村民反映邻居在宅前搭建彩钢棚，遮挡自家采光，协商未果。"),
    ("邻里因宠物犬扰民发生矛盾", "村民反映邻居饲养的犬只夜间吠叫，多次沟通未改善。"),
    ("邻里因共用通道堆放杂物发生争吵", "两户共用的进出通道被堆放柴草，双方发生争吵。"),
    ("邻里因树木越界发生纠纷", "邻居家树木枝杈伸入院内，落叶堵塞屋面排水，要求修剪被拒。"),
    ("邻里因噪音问题多次争吵", "村民反映楼上住户深夜装修，噪音扰民，双方多次争吵。"),
]
ESTATE = "锦绣花园小区 3 栋"
LAND = (
    "村民集体反映征地补偿款未足额发放",
    "约五十名村民到镇综治中心反映，去年征收的集体土地补偿款至今未足额发放。",
)
LAND_REQUIREMENT = "请镇综治中心会同自然资源所核实补偿款发放情况，限期答复群众。"
WAGES = ("建筑工地农民工集体讨薪", "某建筑工地六十余名农民工反映被拖欠工资三个月，聚集在项目部要求支付。")
COMPLAINTS = [
    ("锦绣花园 3 栋电梯频繁故障", "居民投诉锦绣花园小区 3 栋电梯一周内多次停运，老人出行困难。"),
    ("锦绣花园3栋电梯又停了", "锦绣花园小区 3 栋电梯再次故障停运，物业维修不及时。"),
    ("锦绣花园小区3栋电梯困人", "锦绣花园 3 栋电梯停在两层之间，居民要求彻底检修。"),
]

# The cases seed_surges registers itself (both lists and the two group cases), besides the
# rectification case it opens.
REGISTERED = len(NEIGHBOURS) + len(COMPLAINTS) + 2


def _register(county: County, at, *, region: str, stream: str, category: str, text: tuple[str, str], **more):
    body = {"stream": stream, "category": category, "title": text[0], "description": text[1],
            "channel": "walk_in", "region": region, **more}  # fmt: skip
    return create_case(county.users["dispatcher"], body, now=at)


def seed_surges(county: County) -> int:
    """The demo's alerts; nothing when any exist. Returns how many there are."""
    if SurgeAlert.objects.exists():
        return 0
    now, today = timezone.now(), timezone.localdate()
    eve = midnight(today)  # the cases fall on the days before today, which today's run reads
    first, second = county.towns[0], county.towns[1 % len(county.towns)]
    village = county.villages[first.code][1 % len(county.villages[first.code])]
    estate = county.villages[second.code][0]
    # Last week: a 征地 group case, raised by last week's run and turned into a rectification case.
    group = _register(
        county, eve - timedelta(days=9) + timedelta(hours=10), region=village.code, stream="dispute",
        category="D08", text=LAND,
        is_group=True, people_involved=52,
    )  # fmt: skip
    run_detection(today - timedelta(days=7), now=now - timedelta(days=7))
    raised = SurgeAlert.objects.filter(source_case=group).first()
    if raised is not None:
        open_case(raised, by=county.users["dispatcher"], description=LAND_REQUIREMENT)
    for i, text in enumerate(NEIGHBOURS):
        _register(county, eve - timedelta(days=i, hours=5), region=village.code, stream="dispute",
                  category="D02", text=text)  # fmt: skip
    for hours, text in zip((3, 20, 40), COMPLAINTS, strict=True):
        _register(county, eve - timedelta(hours=hours), region=estate.code, stream="request",
                  category="R03", text=text, address=ESTATE)  # fmt: skip
    _register(county, eve - timedelta(hours=30), region=estate.code, stream="dispute", category="D10",
              text=WAGES, is_group=True, people_involved=63)  # fmt: skip
    run_detection(today, now=now)
    return SurgeAlert.objects.count()
