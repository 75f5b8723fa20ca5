"""Every staff and portal page holds together on a 360 px phone and a 1920 px wall screen, and staff
pages work by keyboard."""

import pytest
from playwright.sync_api import expect

from ..conftest import PASSWORD, Api, case_body
from .conftest import PHONE, login

WALL = {"width": 1920, "height": 1080}
PAGES = ("/", "/cases/", "/cases/new/", "/cases/inbox/", "/supervision/")


@pytest.mark.parametrize("viewport", [PHONE, WALL], ids=["360px", "1920px"])
def test_pages_fit_the_screen(new_page, live_server, live_county, viewport):
    d = Api(live_county.users["dispatcher"])
    number = d.post(
        "/cases", case_body(live_county, title="一个标题相当长的案件，用来检验窄屏上的换行是否正常")
    )[1]["number"]
    page = new_page(viewport=viewport)
    login(page, live_server, "dispatcher")
    for path in (*PAGES, f"/cases/{number}/"):
        page.goto(live_server.url + path)
        expect(page.locator("h1").first).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], (path, width)


PORTAL_PAGES = (
    "/portal/",
    "/portal/new/dispute/",
    "/portal/new/request/",
    "/portal/new/hazard/",
    "/portal/new/tip/",
    "/portal/r/",
)


@pytest.mark.parametrize("viewport", [PHONE, WALL], ids=["360px", "1920px"])
def test_portal_pages_fit_the_screen(new_page, live_server, live_county, viewport):
    page = new_page(viewport=viewport)
    for path in PORTAL_PAGES:
        page.goto(live_server.url + path)
        expect(page.locator("h1").first).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], (path, width)


def test_a_case_can_be_accepted_by_keyboard_alone(page, live_server, live_county):
    number = Api(live_county.users["dispatcher"]).post("/cases", case_body(live_county))[1]["number"]
    page.goto(live_server.url + "/login/")
    # autofocus: the browser focuses the field once the page is parsed (under load, a moment after
    # goto returns); this fails if it never does.
    page.wait_for_function("document.activeElement && document.activeElement.id === 'id_username'")
    page.keyboard.type("dispatcher")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="我的工作台")).to_be_visible()
    page.goto(f"{live_server.url}/cases/{number}/")
    summary = page.locator("summary", has_text="受理").first
    summary.focus()
    # The focused control is visibly marked (the outline of :focus-visible).
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("Enter")  # opens the form
    page.keyboard.press("Tab")  # the note
    page.keyboard.type("电话受理")
    page.keyboard.press("Tab")  # the submit button
    page.keyboard.press("Enter")
    expect(page.locator(".messages")).to_contain_text("已受理")
