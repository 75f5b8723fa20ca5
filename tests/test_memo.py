"""The process memo of grants, tokens and reference rows (pingan.core.memo): a create reads them once
within PINGAN_MEMO_SECONDS; a change made through the actions takes effect at once in this process, one
made elsewhere (another server process: here a queryset write, which sends no signal) once the memo
expires."""

import pytest
from django.db import connection

from pingan.accounts import actions as accounts
from pingan.accounts.models import ApiToken, RoleGrant
from pingan.cases.models import Case, TimeLimitRule
from pingan.core import memo

from .conftest import case_body

REFERENCE_TABLES = ("accounts_apitoken", "accounts_rolegrant", "cases_category", "regions_region")


@pytest.fixture
def memo_on(settings):
    settings.PINGAN_MEMO_SECONDS = 5


@pytest.fixture
def clock(monkeypatch):
    """The memo's clock, moved by hand."""
    now = [1000.0]
    monkeypatch.setattr(memo, "monotonic", lambda: now[0])
    return now


def _create(client, county, **overrides):
    return client.post("/cases", case_body(county, **overrides))


def _statements(client, county) -> list[str]:
    """The SQL of one create (counted by hand: the test's query log is full after building the county)."""
    statements: list[str] = []

    def counted(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counted):
        status, data = _create(client, county)
    assert status == 201, data
    return statements


def _tables_read(client, county) -> list[str]:
    tables = (*REFERENCE_TABLES, "cases_timelimitrule")
    return [t for sql in _statements(client, county) for t in tables if f'"{t}"' in sql]


def test_without_the_memo_every_create_reads_grants_token_and_reference_rows(county, api, settings):
    settings.PINGAN_MEMO_SECONDS = 0
    d = api("dispatcher")
    _create(d, county)
    assert set(_tables_read(d, county)) >= {*REFERENCE_TABLES, "cases_timelimitrule"}


def test_with_the_memo_a_create_reads_them_once(county, api, memo_on, clock):
    d = api("dispatcher")
    _create(d, county)
    read = _tables_read(d, county)
    assert not read, read


def test_the_memo_saves_statements(county, api, settings):
    settings.PINGAN_MEMO_SECONDS = 0
    d = api("dispatcher")
    _create(d, county)
    without = _statements(d, county)
    settings.PINGAN_MEMO_SECONDS = 5
    _create(d, county)
    kept = _statements(d, county)
    assert len(kept) == len(without) - 5  # token, grants, category, region, time-limit rule


def test_a_grant_revoked_through_the_actions_takes_effect_at_once(county, api, memo_on, clock):
    d = api("dispatcher")
    assert _create(d, county)[0] == 201
    grant = RoleGrant.objects.get(user=county.users["dispatcher"], role="dispatcher")
    accounts.revoke_grant(grant, by=None)
    status, data = _create(d, county)
    assert status == 403, data


def test_a_grant_revoked_elsewhere_takes_effect_when_the_memo_expires(county, api, memo_on, clock):
    d = api("dispatcher")
    assert _create(d, county)[0] == 201
    # Revoked by another process: no signal reaches this one.
    grants = RoleGrant.objects.filter(user=county.users["dispatcher"], role="dispatcher")
    grants._raw_delete(grants.db)
    clock[0] += 4
    assert _create(d, county)[0] == 201  # still within PINGAN_MEMO_SECONDS
    clock[0] += 2
    assert _create(d, county)[0] == 403


def test_a_token_revoked_elsewhere_is_refused_when_the_memo_expires(county, api, memo_on, clock):
    d = api("dispatcher")
    assert d.get("/me")[0] == 200
    tokens = ApiToken.objects.filter(user=county.users["dispatcher"])
    tokens._raw_delete(tokens.db)  # by another process: no signal reaches this one
    assert d.get("/me")[0] == 200
    clock[0] += 6
    assert d.get("/me")[0] == 401


def test_a_token_revoked_through_the_actions_is_refused_at_once(county, api, memo_on, clock):
    d = api("dispatcher")
    assert d.get("/me")[0] == 200
    accounts.revoke_token(ApiToken.objects.get(user=county.users["dispatcher"]), by=None)
    assert d.get("/me")[0] == 401


def test_a_new_time_limit_rule_applies_to_the_next_case(county, api, memo_on, clock):
    d = api("dispatcher")
    first = _create(d, county)[1]
    for rule in TimeLimitRule.objects.filter(stream="request", step="accept"):
        rule.amount, rule.unit = 30, "natural_days"
        rule.save()
    second = _create(d, county)[1]
    due = {c.number: c.accept_due - c.reported_at for c in Case.objects.all()}
    assert due[second["number"]].days >= 29 > due[first["number"]].days
