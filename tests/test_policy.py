"""The one policy (DESIGN §2): its single-subject and query forms agree for every user, role and case."""

import pytest

from pingan.accounts import policy
from pingan.accounts.models import Role
from pingan.accounts.scope import scope_of
from pingan.cases import actions
from pingan.cases.models import Case
from pingan.cases.models.case import CASE_FIELDS
from pingan.regions.models import Region

from .conftest import case_body


@pytest.fixture
def mixed_cases(county):
    """Every kind of case the rules tell apart: towns, units, co-units, tips with exclusions, grid reports."""
    u = county.users
    d = u["dispatcher"]
    first, second = county.towns[:2]
    made = []
    for town, unit_kind, co in (
        (first, "centre", None),
        (second, "judicial", first),
        (first, "judicial", second),
    ):
        village = county.villages[town.code][0]
        case = actions.create_case(d, case_body(county, region=village.code))
        case = actions.accept_case(case, by=d)
        co_units = [county.town_unit(co, "centre")] if co else []
        made.append(
            actions.dispatch_case(case, by=d, lead_unit=county.town_unit(town, unit_kind), co_units=co_units)
        )
    for town in (first, second):
        tip = actions.create_case(
            d, case_body(county, stream="tip", category=None, region=county.villages[town.code][0].code)
        )
        made.append(actions.accept_case(tip, by=d))
    excluded_unit = actions.dispatch_case(made[-1], by=d, lead_unit=county.town_unit(second, "centre"))
    actions.exclude_from_tip(excluded_unit, by=d, units=[county.town_unit(first, "judicial")], reason="涉及")
    actions.exclude_from_tip(made[-2], by=d, users=[u["custodian"]], reason="涉及本人")
    grid = county.grids[county.villages[first.code][0].code][0]
    made.append(
        actions.create_case(
            u["grid_worker"], case_body(county, stream="grid_event", category=None, region=grid.code)
        )
    )
    made.append(actions.create_case(d, case_body(county, region=Region.objects.get(code=county.code).code)))
    return made


def test_may_see_agrees_with_visible_to_for_every_user_and_case(county, mixed_cases):
    cases = list(Case.objects.prefetch_related("co_units", "exclusions__unit"))
    seen_somewhere = set()
    for user in county.users.values():
        scope = scope_of(user)
        visible = set(Case.objects.visible_to(user).values_list("pk", flat=True))
        for case in cases:
            assert policy.may_see(scope, case.subject()) == (case.pk in visible), (user.username, case.number)
        seen_somewhere |= visible
    assert seen_somewhere == {c.pk for c in cases}
    # The fixture exercises the rules it means to: someone sees some cases and not others.
    assert 0 < len(set(Case.objects.visible_to(county.users["handler"]))) < len(cases)


def test_holds_agrees_with_holds_q_for_every_role(county, mixed_cases):
    cases = list(Case.objects.prefetch_related("co_units", "exclusions__unit"))
    held_any = 0
    for user in county.users.values():
        scope = scope_of(user)
        for role in Role.values:
            q = policy.holds_q(scope, role, CASE_FIELDS)
            held = set(Case.objects.filter(q).values_list("pk", flat=True)) if q is not None else set()
            for case in cases:
                assert policy.holds(scope, role, case.subject()) == (case.pk in held), (
                    user.username,
                    role,
                    case.number,
                )
            held_any += len(held)
    assert held_any > 0


def test_the_custodian_stands_in_for_the_leader_on_tips_only(county, mixed_cases):
    tip = next(c for c in mixed_cases if c.stream == "tip" and not c.exclusions.filter(user__isnull=False))
    plain = mixed_cases[0]
    leader, custodian = scope_of(county.users["leader"]), scope_of(county.users["custodian"])
    assert not policy.holds(leader, "leader", tip.subject()) and policy.holds(
        custodian, "leader", tip.subject()
    )
    assert policy.holds(leader, "leader", plain.subject()) and not policy.holds(
        custodian, "leader", plain.subject()
    )
    assert [u.username for u in policy.holders("leader", tip.subject())] == ["custodian"]
    assert [u.username for u in policy.holders("leader", plain.subject())] == ["leader"]


def test_the_subtree_rule_serves_other_objects(county):
    """region_q is the rule campaigns, places and KPI figures use: a grant covers its subtree."""
    scope = scope_of(county.users["grid_worker"])
    village = county.villages[county.towns[0].code][0]
    q = policy.region_q(scope, ("grid_worker",), field="parent")
    assert set(Region.objects.filter(q).values_list("code", flat=True)) == {
        g.code for g in county.grids[village.code]
    }
    assert policy.covers(scope, ("grid_worker",), county.grids[village.code][0].code)
    assert not policy.covers(scope, ("grid_worker",), county.towns[0].code)
    assert policy.region_q(scope, ("leader",)) is None
