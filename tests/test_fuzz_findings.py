"""What the API fuzzer (tests/test_fuzz_api.py) found, one test per finding, each named after it: every
one of these answered 500 before its fix. Bad input is a 4xx with a Chinese message and a stable code."""

import base64
import json

import pytest

from pingan.cases.models import Case
from pingan.core.templatetags.pingan_tags import field_label

from .conftest import JPEG, case_body

BEYOND_64_BITS = 2**64 + 1
NON_ASCII_DIGITS = ("²", "١", "٣٤")  # str.isdigit() is true for each; int() refuses "²" and reads "١"


def _new_case(county, api, **overrides) -> str:
    status, body = api("dispatcher").post("/cases", case_body(county, **overrides))
    assert status == 201, body
    return body["number"]


def _in_progress(county, api) -> str:
    number = _new_case(county, api)
    d = api("dispatcher")
    d.act(number, "accept")
    d.act(number, "dispatch", {"lead_unit": county.town_unit(county.towns[0], "centre").code})
    api("handler").act(number, "sign")
    return number


def _refused(answer: tuple[int, dict], field: str, code: str = "invalid") -> None:
    status, body = answer
    assert status == 400, (status, body)
    assert body["error"]["code"] == code
    assert field in body["error"].get("fields", {}), body


@pytest.mark.parametrize(
    "field", ["title", "description", "region", "address", "severity", "people_involved", "is_group"]
)
def test_update_with_null_for_a_not_null_field_is_400_not_500(county, api, field):
    number = _new_case(county, api)
    before = Case.objects.get(number=number)
    _refused(api("dispatcher").post(f"/cases/{number}/actions/update", {field: None}), field)
    after = Case.objects.get(number=number)
    assert (after.version, after.title, after.region_id) == (before.version, before.title, before.region_id)


def test_update_with_null_category_still_unclassifies_the_case(county, api):
    number = _new_case(county, api)
    body = api("dispatcher").act(number, "update", {"category": None})
    assert body["category"] is None and Case.objects.get(number=number).category_id is None


def test_record_ids_beyond_64_bits_are_400_not_500(county, api):
    number = _in_progress(county, api)
    d, h = api("dispatcher"), api("handler")
    _refused(d.get(f"/cases/{number}/attachments/{BEYOND_64_BITS}"), "attachment_id")
    r = d.client.delete(f"/api/v1/auth/tokens/{BEYOND_64_BITS}")
    assert r.status_code == 400 and r.json()["error"]["fields"] == {"token_id": "编号无效"}
    _refused(d.post("/notifications/read", {"ids": [BEYOND_64_BITS]}), "ids.0")
    # The ids in a resolve body name attachments; the case is untouched.
    resolve = {"outcome": "resolved", "summary": "已修复", "evidence": [BEYOND_64_BITS]}
    _refused(h.post(f"/cases/{number}/actions/resolve", resolve), "evidence.0")
    assert Case.objects.get(number=number).status == "in_progress"


def test_cursors_beyond_64_bits_are_400_not_500(county, api):
    _new_case(county, api)
    huge = base64.urlsafe_b64encode(json.dumps({"id": BEYOND_64_BITS}).encode()).decode().rstrip("=")
    _refused(api("dispatcher").get("/cases", cursor=huge), "cursor")
    _refused(api("dispatcher").get("/notifications", cursor=str(BEYOND_64_BITS)), "cursor")
    # 19 digits pass a length check and still do not fit a bigint.
    _refused(api("auditor").get("/audit", cursor="9" * 19), "cursor")


def test_party_ids_beyond_64_bits_in_reveal_are_400_not_500(county, api):
    number = _new_case(county, api, parties=[{"name": "李四", "phone": "13900001111"}])
    reveal = {"field": f"parties.{BEYOND_64_BITS}.name", "reason": "电话回访核实身份"}
    _refused(api("dispatcher").post(f"/cases/{number}/actions/reveal", reveal), "field")


@pytest.mark.parametrize("digits", NON_ASCII_DIGITS)
def test_non_ascii_digits_in_version_are_400_not_500(county, api, digits):
    number = _new_case(county, api)
    status, body = api("dispatcher").post(f"/cases/{number}/actions/accept", {"version": digits})
    assert status == 400 and body["error"]["fields"] == {"version": "应为整数"}, body
    assert Case.objects.get(number=number).status == "reported"


@pytest.mark.parametrize("digits", NON_ASCII_DIGITS)
def test_non_ascii_digits_in_the_notice_cursor_are_400_not_500(county, api, digits):
    _refused(api("dispatcher").get("/notifications", cursor=digits), "cursor")


@pytest.mark.parametrize("digits", NON_ASCII_DIGITS)
def test_non_ascii_digits_in_reveal_party_ids_are_400_not_500(county, api, digits):
    number = _new_case(county, api, parties=[{"name": "李四", "phone": "13900001111"}])
    reveal = {"field": f"parties.{digits}.name", "reason": "电话回访核实身份"}
    _refused(api("dispatcher").post(f"/cases/{number}/actions/reveal", reveal), "field")


@pytest.mark.parametrize("digits", NON_ASCII_DIGITS)
def test_non_ascii_digits_in_the_web_notice_page_are_ignored_not_500(county, api, web, digits):
    number = _new_case(county, api)
    api("dispatcher").act(number, "accept")
    page = web("dispatcher")
    for before in (digits, str(BEYOND_64_BITS)):
        r = page.get("/notices/", {"before": before})
        assert r.status_code == 200, (before, r.status_code)


@pytest.mark.parametrize("value", [*NON_ASCII_DIGITS, str(BEYOND_64_BITS)])
def test_non_ascii_digits_in_the_web_resolve_form_are_400_not_500(county, api, web, value):
    number = _in_progress(county, api)
    status, att = api("handler").upload(number, JPEG)
    assert status == 201, att
    r = web("handler").post(
        f"/cases/{number}/actions/resolve/",
        {"outcome": "resolved", "summary": "已修复路灯", "evidence": [str(att["id"]), value]},
    )
    assert r.status_code == 400 and "所选佐证材料编号无效" in r.content.decode()
    assert Case.objects.get(number=number).status == "in_progress"


@pytest.mark.parametrize("digits", NON_ASCII_DIGITS)
def test_non_ascii_digits_in_the_web_version_field_are_400_not_500(county, api, web, digits):
    number = _new_case(county, api)
    r = web("dispatcher").post(f"/cases/{number}/actions/accept/", {"version": digits})
    assert r.status_code == 400 and "提交的内容有误" in r.content.decode()
    assert Case.objects.get(number=number).status == "reported"


def test_non_ascii_digits_in_an_error_field_path_are_shown_as_sent():
    # An extra key "²" in a party is reported at "parties.0.²"; the label must not read it as a number.
    assert field_label("parties.0.²") == "当事人 1 ²"


@pytest.mark.parametrize("digits", NON_ASCII_DIGITS)
def test_non_ascii_digits_in_an_imported_count_read_as_a_chinese_error(digits):
    from pingan.cases.imports.checks import PARSERS

    with pytest.raises(ValueError, match=r"^应为正整数$"):
        PARSERS["people_involved"](digits)


def test_non_ascii_digits_are_no_phone_or_id_number(county, api):
    # "\d" matches any script's digits: Arabic-Indic ones passed as a mobile number and were stored.
    reporter = {"name": "张三丰", "phone": "13" + "٨١٢٣٤١٢٣٤"}
    _refused(api("dispatcher").post("/cases", case_body(county, reporter=reporter)), "reporter.phone")
    arabic = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
    party = {"name": "李四", "id_number": "11010519491231002X".translate(arabic)}
    _refused(api("dispatcher").post("/cases", case_body(county, parties=[party])), "parties.0.id_number")
    assert Case.objects.count() == 0
