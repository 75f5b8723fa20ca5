"""Browser tests: Playwright drives Debian's chromium against pytest-django's live server.

Every test in this directory is marked `browser` and runs on a transactional database with
serialized rollback: the live server answers from another thread, so the test's data must be
committed for real, and the reference data loaded by migrations (categories, time limits, holidays)
is restored afterwards. Any console error or uncaught page error fails the test.
"""

import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connections
from playwright.sync_api import Browser, Page, expect, sync_playwright

from pingan.demo.county import build_county, create_role_users

from ..conftest import PASSWORD, otp_code
from ..printing import ARTIFACTS

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run in a
# thread with a running loop unless told it is safe (it is: the loop only waits for the browser).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 360, "height": 740}
SCREENSHOTS = ARTIFACTS / "screenshots"
HERE = Path(__file__).resolve().parent

NewPage = Callable[..., Page]


def pytest_collection_modifyitems(items):
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.django_db(transaction=True, serialized_rollback=True))


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    # After every call Playwright's sync API leaves its event loop set as the thread's running loop.
    # Django keeps a thread's database connections in an asgiref Local, which then switches to
    # per-context storage: the test thread would get new connection objects, without the serialized
    # reference data (so serialized_rollback would restore nothing) and, on PostgreSQL, outside the
    # transaction of the tests that run after. Pin the connections the thread already has.
    current = {alias: connections[alias] for alias in connections}
    playwright = sync_playwright().start()
    for alias, connection in current.items():
        connections[alias] = connection
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def new_page(browser: Browser) -> Iterator[NewPage]:
    """A factory of pages, each in its own context (own cookies): `new_page(viewport=PHONE)`.

    Defaults: desktop viewport, zh-CN, Asia/Shanghai; PHONE also sets is_mobile and has_touch.
    At teardown the test fails if any page logged a console error or raised an uncaught exception,
    except errors matching one of `allow_errors` (regular expressions), e.g. a page expected to
    answer 404 logs "Failed to load resource: ... status of 404". Other keyword arguments go to
    `browser.new_context`.
    """
    contexts = []
    errors: list[str] = []

    def make(viewport: dict[str, int] = DESKTOP, allow_errors: Iterable[str] = (), **options) -> Page:
        allowed = [re.compile(p) for p in allow_errors]

        def record(error: str) -> None:
            if not any(a.search(error) for a in allowed):
                errors.append(error)

        if viewport == PHONE:
            options = {"is_mobile": True, "has_touch": True, **options}
        context = browser.new_context(
            viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai", **options
        )
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda m: m.type == "error" and record(f"console: {m.text} ({m.location['url']})"))
        page.on("pageerror", lambda e: record(f"pageerror: {e}"))
        return page

    yield make
    for context in contexts:
        context.close()
    if errors:
        pytest.fail("errors in the browser:\n" + "\n".join(errors), pytrace=False)


@pytest.fixture
def page(new_page: NewPage) -> Page:
    return new_page()


@pytest.fixture
def phone_page(new_page: NewPage) -> Page:
    return new_page(viewport=PHONE)


@pytest.fixture
def live_county(live_server):
    """The small test county of tests/conftest.py, committed, with one user per role."""
    c = build_county(towns=3, villages_per_town=2, grids_per_village=2)
    return create_role_users(c, password=PASSWORD)


def login(page: Page, live_server, username: str, password: str = PASSWORD) -> None:
    """Sign in through the login form and wait for the home page. Custodian and admin then take the
    second step as their authenticator app would: binding it on the first login, a code after that."""
    page.goto(live_server.url + "/login/")
    page.get_by_label("用户名", exact=True).fill(username)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(lambda url: urlsplit(url).path != "/login/")
    if "/login/otp/" in page.url or "/account/otp/" in page.url:
        second_step(page, username)
    expect(page).to_have_url(re.compile(re.escape(live_server.url) + r"/$"))
    expect(page.get_by_role("heading", level=1, name="我的工作台")).to_be_visible()


def second_step(page: Page, username: str) -> None:
    """Enter the code of the user's device: the one being bound on the setup page, else the bound one."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    binding = "/account/otp/" in page.url
    device = TOTPDevice.objects.filter(user__username=username, confirmed=not binding).latest("id")
    page.get_by_label("验证码", exact=True).fill(otp_code(device))
    page.get_by_role("button", name="确认绑定" if binding else "验证", exact=True).click()


def snap(page: Page, name: str) -> Path:
    """Save a full-page screenshot to test-output/screenshots/<name>.png and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    return path


def open_details(page: Page, summary: str) -> None:
    """Open the <details> whose <summary> reads `summary`, as a user clicks it; clicked again only if the
    first click did not open it (under load a click on a page that has just loaded has been lost once)."""
    details = page.locator("details", has=page.locator("summary", has_text=summary)).first
    for _ in range(3):
        if details.evaluate("d => d.open"):
            return
        details.locator("summary").first.click()
        try:
            expect(details).to_have_attribute("open", "", timeout=5000)
            return
        except AssertionError:
            continue
    expect(details).to_have_attribute("open", "")
