"""Every demo role's desk: each tile's count is the total of the list it opens."""

from playwright.sync_api import expect

from ..test_daily_use import _busy_county
from .conftest import login


def test_every_roles_tiles_match_the_lists_they_open(new_page, live_server, live_county):
    _busy_county(live_county)
    checked = 0
    for username in live_county.users:
        page = new_page()
        login(page, live_server, username)
        tiles = page.locator(".tiles a.tile")
        found = [
            (tiles.nth(i).locator("span").inner_text(), tiles.nth(i).locator("b").inner_text(),
             tiles.nth(i).get_attribute("href"))
            for i in range(tiles.count())
        ]  # fmt: skip
        for _label, count, href in found:
            page.goto(live_server.url + href)
            expect(page.locator("[data-total]").first).to_have_text(count)
            checked += 1
        assert found or username in ("admin", "auditor"), username
        page.close()
    assert checked >= 20
