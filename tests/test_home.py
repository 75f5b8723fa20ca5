"""The landing page: session login and the user's desk, counted within scope."""

from .conftest import PASSWORD, Api, case_body


def test_login_and_desk_counts_stay_in_scope(client, county):
    d = Api(county.users["dispatcher"])
    number = d.post("/cases", case_body(county))[1]["number"]
    d.act(number, "accept")
    d.act(number, "dispatch", {})
    assert client.get("/").status_code == 302
    r = client.post("/login/", {"username": "handler", "password": "wrong"})
    assert "用户名或密码不正确" in r.content.decode()
    assert client.post("/login/", {"username": "handler", "password": PASSWORD}).status_code == 302
    page = client.get("/").content.decode()
    assert "我的工作台" in page and "城关街道综治中心" in page
    assert "<b>1</b><span>待签收</span>" in page
    client.post("/logout/")
    client.post("/login/", {"username": "handler2", "password": PASSWORD})
    assert "<b>0</b><span>待签收</span>" in client.get("/").content.decode()


def test_session_users_can_call_the_api_from_the_docs(client, county):
    client.post("/login/", {"username": "leader", "password": PASSWORD})
    assert client.get("/api/v1/me").json()["username"] == "leader"
