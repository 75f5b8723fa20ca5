"""Default risk grades (with their inspection intervals) and checklists per kind of place, frozen here
as they were written: the admin edits them afterwards (configuration as data)."""

from django.db import migrations

GRADES = [("high", "高", 30, 1), ("elevated", "较高", 60, 2), ("general", "一般", 90, 3), ("low", "低", 180, 4)]
# kind ("" for every place): [(text, hazard category code)]
CHECKLISTS = {
    "": [
        ("灭火器、应急照明、疏散指示标志等消防设施器材配置齐全、完好有效", "H01"),
        ("安全出口、疏散通道畅通，未锁闭、堵塞或占用", "H01"),
        ("电气线路敷设规范，无私拉乱接、超负荷用电", "H01"),
        ("无生产、经营、储存与住人混合的“三合一”现象", "H01"),
        ("电动自行车未在室内、楼道停放或充电", "H07"),
        ("安全责任人明确，从业人员会报警、会使用灭火器、会组织疏散", "H08"),
    ],
    "restaurant": [
        ("燃气管道、软管、阀门完好，安装可燃气体报警装置", "H02"),
        ("液化石油气钢瓶不超量存放，不在地下室、半地下室使用", "H02"),
        ("厨房排油烟管道定期清洗，无油垢积聚", "H01"),
    ],
    "hotel": [
        ("客房不使用大功率电器，楼层配备逃生器材", "H01"),
        ("楼梯间、走道不设住宿、不堆放物品", "H01"),
    ],
    "netbar": [("营业期间不超员，不采用易燃可燃材料装修", "H01")],
    "ktv": [
        ("包间设有疏散指示和应急广播，营业期间不超员", "H01"),
        ("不采用易燃可燃材料装修，无违规燃放烟花", "H01"),
    ],
    "bath": [
        ("锅炉、压力容器定期检验，操作人员持证", "H08"),
        ("燃气热水器安装在通风良好处，不在浴室内", "H02"),
    ],
    "shop": [
        ("不超量储存、销售易燃易爆商品", "H03"),
        ("仓库与营业区分隔，不在店内住人", "H01"),
    ],
    "school": [
        ("校舍、围墙、大型玩具无破损、倒塌风险", "H06"),
        ("食堂燃气和校车安全管理制度落实", "H02"),
    ],
    "clinic": [
        ("医用氧气瓶等危险物品规范存放", "H03"),
        ("药品库房防火防潮，不与病房混设", "H01"),
    ],
    "workshop": [
        ("机械设备防护装置齐全有效", "H08"),
        ("易燃易爆原料规范存放，不超量", "H03"),
    ],
    "enterprise": [
        ("安全生产责任制、应急预案和演练落实", "H08"),
        ("特种设备定期检验，特种作业人员持证上岗", "H08"),
    ],
    "construction": [
        ("脚手架、深基坑、高支模按方案施工并经验收", "H04"),
        ("临时用电符合规范，塔吊等起重机械检验合格", "H04"),
        ("施工人员佩戴安全帽、系安全带等防护用品", "H04"),
    ],
    "chemicals": [
        ("危险化学品分类分区储存，不超量", "H03"),
        ("防雷防静电设施检测合格", "H03"),
        ("重大危险源监测监控设施运行正常", "H03"),
    ],
}


def load(apps, schema_editor):
    RiskGrade = apps.get_model("inspections", "RiskGrade")
    ChecklistItem = apps.get_model("inspections", "ChecklistItem")
    for code, name, days, sort in GRADES:
        RiskGrade.objects.get_or_create(code=code, defaults={"name": name, "interval_days": days, "sort": sort})
    for kind, items in CHECKLISTS.items():
        for sort, (text, category) in enumerate(items, 1):
            ChecklistItem.objects.get_or_create(kind=kind, text=text, defaults={"category": category, "sort": sort})


def unload(apps, schema_editor):
    apps.get_model("inspections", "ChecklistItem").objects.all().delete()
    apps.get_model("inspections", "RiskGrade").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("inspections", "0001_places_and_inspections")]
    operations = [migrations.RunPython(load, unload)]
