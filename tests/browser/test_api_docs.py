"""The interactive API docs are served by Pingan itself: they render under the CSP with no network
access beyond the server (an intranet reaches no CDN)."""

from urllib.parse import urlsplit

from playwright.sync_api import Request, Route, expect

from .conftest import login, snap


def test_api_docs_render_offline_under_the_csp(page, live_server, live_county):
    local = urlsplit(live_server.url).netloc
    problems: list[str] = []

    def only_local(route: Route) -> None:
        if urlsplit(route.request.url).netloc == local or route.request.url.startswith("data:"):
            route.continue_()
        else:  # never reach out: record it and refuse
            problems.append(f"request to another host: {route.request.url}")
            route.abort()

    def failed(request: Request) -> None:
        # ERR_ABORTED: cut off by the next navigation (the favicon of the page just left) or by
        # `only_local` above, which records those itself.
        if request.failure != "net::ERR_ABORTED":
            problems.append(f"failed: {request.url} ({request.failure})")

    page.context.route("**/*", only_local)
    page.on("requestfailed", failed)
    page.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"))
    login(page, live_server, "dispatcher")
    page.get_by_role("link", name="接口文档").click()
    expect(page).to_have_url(live_server.url + "/api/v1/docs")
    # Swagger UI lays out a spec of some 200 operations in the browser: seconds on a loaded machine.
    expect(page.locator(".opblock").filter(has_text="/api/v1/cases").first).to_be_visible(timeout=30_000)
    expect(page.locator(".info .title")).to_contain_text("平安 Pingan API")
    # Try an operation with the browser's own session: the answer is highlighted, still under the CSP.
    me = page.locator(".opblock").filter(has_text="/api/v1/me").first
    me.locator(".opblock-summary").click()
    me.get_by_role("button", name="Try it out").click()
    me.get_by_role("button", name="Execute").click()
    answer = me.locator(".live-responses-table tbody .response")
    expect(answer.locator(".response-col_status")).to_have_text("200")
    expect(answer.locator(".highlight-code")).to_contain_text('"username": "dispatcher"')
    snap(page, "api-docs")
    assert problems == []
