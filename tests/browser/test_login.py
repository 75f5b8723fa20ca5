"""Signing in through the browser."""

from playwright.sync_api import expect

from .conftest import login, snap


def test_dispatcher_signs_in_and_lands_on_the_desk(page, live_server, live_county):
    login(page, live_server, "dispatcher")
    expect(page.get_by_role("button", name="退出")).to_be_visible()
    snap(page, "home-dispatcher")


def test_wrong_password_shows_an_error_and_stays_on_the_login_page(page, live_server, live_county):
    page.goto(live_server.url + "/login/")
    page.get_by_label("用户名", exact=True).fill("dispatcher")
    page.get_by_label("密码", exact=True).fill("not-the-password")
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("用户名或密码不正确")
    expect(page.get_by_role("heading", level=1, name="登录")).to_be_visible()
    page.goto(live_server.url + "/")
    expect(page).to_have_url(live_server.url + "/login/?next=/")


def test_login_page_fits_a_phone_without_horizontal_scroll(phone_page, live_server):
    phone_page.goto(live_server.url + "/login/")
    expect(phone_page.get_by_label("用户名", exact=True)).to_be_visible()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360
