"""Personal data on the case page: masked, and shown in clear only after a stated, audited reason."""

from playwright.sync_api import expect

from pingan.audit.models import AuditEntry

from ..conftest import Api, case_body
from .conftest import login


def test_handler_reveals_the_reporters_phone_with_a_reason(page, live_server, live_county):
    d = Api(live_county.users["dispatcher"])
    number = d.post("/cases", case_body(live_county))[1]["number"]
    d.act(number, "accept")
    d.act(number, "dispatch", {})
    login(page, live_server, "handler")
    page.goto(f"{live_server.url}/cases/{number}/")
    phone = page.locator("#pii-reporterphone")
    expect(phone).to_contain_text("138****1234")
    expect(page.locator("body")).not_to_contain_text("13812341234")
    phone.get_by_text("查看", exact=True).click()
    phone.get_by_label("查看理由").fill("联系反映人核实现场情况")
    phone.get_by_role("button", name="确认查看").click()
    expect(phone).to_contain_text("13812341234")
    expect(phone).to_contain_text("已留痕")
    entry = AuditEntry.objects.filter(action="case.reveal").latest("id")
    assert entry.actor == "handler" and entry.data == {
        "field": "reporter.phone",
        "reason": "联系反映人核实现场情况",
    }
