"""The second login step in the browser: a custodian binds an authenticator, then enters its codes."""

import re

from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from ..conftest import PASSWORD, otp_code
from .conftest import snap


def test_custodian_binds_an_authenticator_on_first_login_and_enters_a_code_after(
    page, live_server, live_county
):
    page.goto(live_server.url + "/login/")
    page.get_by_label("用户名", exact=True).fill("custodian")
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()

    expect(page.get_by_role("heading", level=1, name="设置两步验证")).to_be_visible()
    qr = page.get_by_role("img", name="两步验证绑定二维码")
    expect(qr).to_be_visible()
    assert page.evaluate("document.querySelector('img.otp-qr').naturalWidth") > 0  # drawn under the CSP
    expect(page.get_by_role("navigation", name="主菜单")).to_have_count(0)
    snap(page, "otp-setup")
    device = TOTPDevice.objects.get(user__username="custodian")
    page.get_by_label("验证码", exact=True).fill(otp_code(device))
    page.get_by_role("button", name="确认绑定", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="我的工作台")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("两步验证已开启")

    page.get_by_role("button", name="退出").click()
    page.goto(live_server.url + "/cases/inbox/")
    page.get_by_label("用户名", exact=True).fill("custodian")
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="两步验证")).to_be_visible()
    snap(page, "otp-verify")
    page.get_by_label("验证码", exact=True).fill(otp_code(device))
    page.get_by_role("button", name="验证", exact=True).click()
    expect(page).to_have_url(re.compile(r"/cases/inbox/$"))
