"""The public on a phone: an anonymous hazard report with a photo, the receipt, a reply from the
dispatcher, and the reporter reading it and rating the outcome (issue 4's acceptance path); a dispute
reported by name, answered on the spot, and the answer read and rated under 办理结果 (issue 10)."""

import io
import re

from PIL import Image
from playwright.sync_api import expect

from pingan.cases import actions
from pingan.cases.models import Case, FollowUp

from ..conftest import Api
from .conftest import PHONE, login, snap
from .test_lifecycle import act, open_case


def gps_photo(tmp_path):
    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: (30.0, 30.0, 0.0), 3: "E", 4: (117.0, 12.0, 0.0)})
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 60, 40)).save(out, "JPEG", exif=exif)
    path = tmp_path / "IMG_2031.jpg"
    path.write_bytes(out.getvalue())
    return path


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_anonymous_hazard_to_receipt_reply_and_rating(new_page, live_server, live_county, tmp_path):
    phone = new_page(
        viewport=PHONE, permissions=["geolocation"], geolocation={"latitude": 30.51, "longitude": 117.2}
    )
    town = live_county.towns[0]
    village = live_county.villages[town.code][0]

    # The reporter: no account, a phone, a photo.
    phone.goto(live_server.url + "/portal/")
    phone.get_by_role("link", name=re.compile("报告安全隐患")).click()
    phone.get_by_label("类别").select_option(label="燃气")
    phone.get_by_label("情况描述").fill("菜市场东门的燃气管道被车撞歪了，闻到有味道。")
    phone.get_by_label("乡镇（街道）").select_option(town.code)
    expect(phone.locator("#p-village option", has_text=village.name)).to_be_attached()
    phone.get_by_label("村（社区）").select_option(village.code)
    phone.get_by_role("button", name="使用当前位置").click()
    expect(phone.locator("#p-geo-status")).to_contain_text("已定位")
    phone.get_by_label("照片或材料").set_input_files(gps_photo(tmp_path))
    expect(phone.get_by_label("匿名反映")).to_be_checked()
    expect(phone.get_by_label("姓名（实名时必填）")).to_be_hidden()
    expect(phone.locator("details.privacy")).to_contain_text("保存多久")
    assert fits(phone)
    snap(phone, "portal-report")
    phone.get_by_role("button", name="提交").click()
    code = phone.locator("[data-receipt]").inner_text().strip()
    assert re.fullmatch(r"([0-9A-Z]{4}-){4}[0-9A-Z]{4}", code)
    expect(phone.locator(".warn")).to_contain_text("只显示这一次")
    assert code not in phone.url and fits(phone)
    snap(phone, "portal-receipt")

    case = Case.objects.get(channel="portal")
    assert case.region_id == village.code and case.lat is not None and case.reporter.anonymous
    photo = case.attachments.get()
    with photo.file.open("rb") as f, Image.open(f) as im:
        assert not im.getexif()  # GPS and all other EXIF gone

    # The dispatcher finds it in the ledger and replies.
    staff = new_page()
    login(staff, live_server, "dispatcher")
    staff.goto(live_server.url + "/cases/?stream=hazard")
    row = staff.locator("tbody tr", has_text="菜市场东门的燃气管道")
    expect(row).to_contain_text("登记")
    row.get_by_role("link", name=case.number).click()
    expect(staff.locator(".case-number")).to_contain_text(case.number)
    expect(staff.locator("#h-public")).to_be_visible()
    act(staff, "答复群众", {"textarea[name=text]": "已通知燃气公司抢修，今天下午到场。"})
    expect(staff.locator("ol.conversation")).to_contain_text("已通知燃气公司抢修")
    act(staff, "受理")
    act(
        staff,
        "当场答复",
        {"textarea[name=summary]": "燃气公司已更换受损管段。", "select[name=outcome]": "resolved"},
    )

    # The reporter comes back with the receipt (typed, never in a URL), reads the reply and rates.
    phone.goto(live_server.url + "/portal/r/")
    phone.get_by_label("查询码").fill(code.lower().replace("-", " "))
    phone.get_by_role("button", name="查询").click()
    expect(phone.locator("[data-status]")).to_have_text("已办结")
    expect(phone.locator("ol.conversation")).to_contain_text("已通知燃气公司抢修，今天下午到场。")
    expect(phone.locator("[data-result]")).to_contain_text("问题已解决")
    expect(phone.locator("[data-result]")).to_contain_text("燃气公司已更换受损管段。")
    assert code not in phone.url and fits(phone)
    phone.get_by_label("满意", exact=True).check()
    phone.get_by_label("已解决").check()
    phone.get_by_label("意见建议（可不填）").fill("处理很及时")
    snap(phone, "portal-track")
    phone.get_by_role("button", name="提交评价").click()
    expect(phone.locator("p.msg.success")).to_contain_text("感谢您的评价")
    expect(phone.get_by_role("button", name="提交评价")).to_have_count(0)

    open_case(staff, live_server, case.number)
    expect(staff.locator("#h-follow").locator("..")).to_contain_text("反映人评价 · 满意")


def test_a_dispute_answered_on_the_spot_is_read_and_rated_under_its_result(
    new_page, live_server, live_county
):
    phone = new_page(viewport=PHONE)
    phone.goto(live_server.url + "/portal/")
    expect(phone.locator("main > p").first).to_contain_text("矛盾纠纷")
    expect(phone.locator("header .brand")).to_contain_text("示范县综治中心")
    phone.get_by_role("link", name=re.compile("调解矛盾纠纷")).click()
    phone.get_by_label("类别").select_option(label="邻里纠纷")
    phone.get_by_label("情况描述").fill("邻居家空调外机正对我家卧室窗户，噪音大、滴水，多次商量没结果。")
    expect(phone.get_by_label("实名反映")).to_be_checked()
    phone.get_by_label("姓名（实名时必填）").fill("赵小兰")
    phone.get_by_label("联系电话").fill("13700001111")
    assert fits(phone)
    phone.get_by_role("button", name="提交").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("示范县综治中心已收到您的反映")
    expect(phone.locator("[data-response]")).to_contain_text("我们将在 2 个工作小时内受理")
    code = phone.locator("[data-receipt]").inner_text().strip()
    assert fits(phone)
    snap(phone, "portal-dispute-receipt")

    # The centre answers on the spot, through the same actions the case page uses.
    case = Case.objects.get(channel="portal")
    assert (case.stream, case.category.code) == ("request", "R0601")
    dispatcher = live_county.users["dispatcher"]
    actions.perform(dispatcher, case.number, "reply", {"text": "已收到，明天上午由社区调解员联系您。"})
    actions.perform(dispatcher, case.number, "accept", {"note": "内部：两户此前已调解过一次"})
    answer = "经社区调解员现场协调，邻居同意将空调外机移至侧墙并加装接水管，赵小兰对方案表示认可。"
    actions.perform(dispatcher, case.number, "answer", {"summary": answer, "outcome": "resolved"})

    phone.goto(live_server.url + "/portal/r/")
    phone.get_by_label("查询码").fill(code)
    phone.get_by_role("button", name="查询").click()
    result = phone.locator("[data-result]")
    expect(result.get_by_role("heading", name="办理结果")).to_be_visible()
    expect(result).to_contain_text("问题已解决")
    expect(result).to_contain_text("邻居同意将空调外机移至侧墙并加装接水管，赵**对方案表示认可。")
    expect(phone.locator("main")).not_to_contain_text("内部")
    expect(phone.locator("main")).not_to_contain_text("周受理")
    assert fits(phone)
    snap(phone, "portal-dispute-result")
    phone.get_by_label("基本满意").check()
    phone.get_by_label("已解决").check()
    phone.get_by_label("意见建议（可不填）").fill("调解员很耐心")
    phone.get_by_role("button", name="提交评价").click()
    expect(phone.locator("p.msg.success")).to_contain_text("感谢您的评价")
    expect(result).to_contain_text("问题已解决")  # the answer stays in view after rating

    rating = FollowUp.objects.get(case=case)
    assert (rating.satisfaction, rating.resolved, rating.note, rating.by) == (
        "basically",
        True,
        "调解员很耐心",
        None,
    )
    detail = Api(dispatcher).get(f"/cases/{case.number}")[1]
    assert [(f["satisfaction"], f["by_public"]) for f in detail["follow_ups"]] == [("basically", True)]
