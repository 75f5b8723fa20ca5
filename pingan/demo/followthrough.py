"""包案, 积案 and 调解协议 in the demo (GOVERNANCE §7, §11), through the real actions with the clock moved.

- 包案: a few petitions (and disputes) in handling are taken by the county leader (陈县长) with a
  three-step plan; the first steps are mostly done on time, some later ones are left late, so that his
  desk and his weekly digest have something to say; one is resolved, closed and signed off.
- 积案: open disputes and petitions marked as 积案 over the last weeks, and some closed: resolved cases
  the supervisor then checks, and disputes finally mediated — so that 积案化解率 has figures.
- 调解协议: disputes in handling resolved with a signed agreement and closed; their 履行情况 recorded for
  some (performed, partly), 司法确认 sought for others (confirmed, under review), the rest pending — some
  past their deadline, for the sweep to remind the handler.
Every action happens after the case's last event and before `now`, so each history stays in order.
"""

import random
from datetime import datetime, timedelta

from django.db.models import Count, Max

from pingan.accounts import policy
from pingan.accounts.models import User
from pingan.cases import actions as a
from pingan.cases.actions.leadership import Step
from pingan.cases.clocks import LOCAL
from pingan.cases.models import Case, CaseEvent, Status, Stream

AGREEMENTS = 6
BAOAN = 5
BACKLOG_OPEN, BACKLOG_CLOSING = 8, 4
KEEP = 3  # never take a state below this many cases: the demo shows every state
HOUR, DAY = timedelta(hours=1), timedelta(days=1)
WINDOW = timedelta(days=45)
PLAN_PAST = timedelta(days=18)  # a 包案 plan (steps due after 3, 10 and 25 days) began this long ago

TERMS = [
    "一、王某于履行期限前一次性赔偿李某修车费用人民币 800 元；\n二、双方就此事再无其他纠纷。",
    "一、张某于履行期限前拆除搭建在公共通道上的雨棚，恢复通行；\n二、李某不再就此事追究张某责任。",
    "一、某公司于履行期限前向刘某等 6 名工人支付拖欠工资共计人民币 42,600 元；\n二、工人撤回投诉。",
    "一、赵某于履行期限前修复渗水的卫生间防水层，修复费用由赵某承担；\n二、楼下住户孙某配合入户施工。",
    "一、双方以现有界桩为宅基地界线；\n二、陈某于履行期限前移除越界堆放的建材。",
]
PLANS = [
    ("约谈信访人，听取诉求并核实材料", "召开专班会议研究解决方案", "落实解决方案并答复信访人"),
    ("实地查看现场，调取相关档案", "组织相关部门会商，明确责任", "兑现补偿并回访"),
]
PERFORMANCE_NOTES = {"partly": "已支付一半款项，余款约定下月底前付清，承办人继续跟踪。"}
COURT = "示范县人民法院"


def seed_follow_through(users: dict[str, User], now: datetime, rng: random.Random) -> dict[str, int]:
    dispatcher, supervisor, leader = users.get("dispatcher"), users.get("supervisor"), users.get("leader")
    if dispatcher is None or supervisor is None or leader is None:
        return {}
    spare = dict(Case.objects.values_list("status").annotate(n=Count("pk")))
    # In this order: each takes cases in handling that the next may not (the demo handlers' are few).
    baoan = _baoan(leader, dispatcher, supervisor, now, rng, spare)
    agreements = _agreements(dispatcher, supervisor, now, rng, spare)
    return {
        "baoan": baoan,
        "agreements": agreements,
        "backlog": _backlog(dispatcher, supervisor, now, rng, spare),
    }


def _take(spare: dict, case: Case) -> bool:
    """Whether the case may leave its state and the demo still show that state."""
    if spare.get(case.status, 0) <= KEEP:
        return False
    spare[case.status] -= 1
    return True


def _last(case: Case) -> datetime:
    return CaseEvent.objects.filter(case=case).aggregate(at=Max("at"))["at"] or case.reported_at


def _between(rng: random.Random, start: datetime, end: datetime, low=0.2, high=0.5) -> datetime:
    return start + (end - start) * rng.uniform(low, high)


def _handler(case: Case) -> User | None:
    return next(iter(policy.holders("handler", case.subject())), None)


def _staffed(qs, limit: int) -> list[tuple[Case, User]]:
    found = []
    for case in qs:
        handler = _handler(case)
        if handler is not None:
            found.append((case, handler))
        if len(found) == limit:
            break
    return found


def _agreements(dispatcher, supervisor, now, rng, spare) -> int:
    disputes = Case.objects.filter(
        stream=Stream.DISPUTE,
        status__in=(Status.DISPATCHED, Status.IN_PROGRESS),
        responsible_leader__isnull=True,
        backlog=False,
    ).order_by("id")
    done = 0
    # Every staffed dispute in handling is a candidate, not the first few: in a small county most have
    # had an event in the last two days, and those leave no room for a mediation before today.
    for i, case in enumerate(disputes.iterator()):
        if done == AGREEMENTS:
            break
        start = max(_last(case) + 3 * HOUR, now - WINDOW)  # room for 签收 and the 积案 mark before
        handler = _handler(case) if start <= now - 12 * HOUR else None
        if handler is None or not _take(spare, case):
            continue
        signed = _between(rng, start, now, 0.1, 0.4)
        if case.status == Status.DISPATCHED:  # 签收 first, then the mediation
            case = a.sign_case(case, by=handler, now=signed - 2 * HOUR)
        if done < 2:  # a long-standing dispute, listed as 积案, finally mediated: 积案化解
            case = a.mark_backlog(case, by=dispatcher, source="县矛盾纠纷排查认定", now=signed - HOUR)
        due = signed.astimezone(LOCAL).date() + timedelta(days=rng.choice((7, 10, 15, 30)))
        agreement = {
            "terms": TERMS[i % len(TERMS)],
            "performance_due": due,
            "judicial_confirmation": done % 4 == 1,
        }
        case = a.resolve_case(
            case,
            by=handler,
            outcome="resolved",
            summary="经调解双方达成协议",
            agreement=agreement,
            now=signed,
        )
        checked = min(signed + DAY * rng.uniform(0.5, 2), signed + (now - signed) / 2)  # before today
        case = a.check_pass(case, by=supervisor, note="电话回访双方，协议已签订", now=checked)
        later = _between(rng, checked, now, 0.3, 0.8)
        kind = done % 4
        if kind == 0:
            a.record_performance(case, by=handler, state="performed", note="当事人已按协议履行", now=later)
        elif kind == 2:
            a.record_performance(
                case, by=handler, state="partly", note=PERFORMANCE_NOTES["partly"], now=later
            )
        elif kind == 1:  # 司法确认 sought, performance not yet recorded
            applied = min(checked + DAY, later).astimezone(LOCAL).date()
            ruled = applied + timedelta(days=12)
            ruled_yet = ruled < later.astimezone(LOCAL).date()
            a.record_judicial_confirmation(
                case,
                by=handler,
                applied_on=applied,
                court=COURT,
                result="confirmed" if ruled_yet else None,
                result_on=ruled if ruled_yet else None,
                now=later,
            )
        done += 1  # kind 3: pending, reminded by the sweep when its deadline comes or has passed
    return done


def _baoan(leader, dispatcher, supervisor, now, rng, spare) -> int:
    # Petitions first, then disputes; the longest quiet first, so that the plan has a past (steps done,
    # some left late). Those a demo handler works on first: one is taken through to 销号.
    in_handling = (
        Case.objects.visible_to(leader)
        .filter(
            stream__in=(Stream.PETITION, Stream.DISPUTE), status__in=(Status.DISPATCHED, Status.IN_PROGRESS)
        )
        .filter(agreement__isnull=True)
        .annotate(last_at=Max("events__at"))
        .order_by("-stream", "last_at", "id")  # petition sorts after dispute: descending puts it first
    )
    staffed = _staffed(in_handling.filter(status=Status.IN_PROGRESS), 1)
    rest = [(c, None) for c in in_handling.exclude(pk__in=[c.pk for c, _ in staffed])[:BAOAN]]
    taken = 0
    for i, (case, handler) in enumerate([*staffed, *rest][:BAOAN]):
        at = max(_last(case) + HOUR, now - PLAN_PAST - DAY * rng.uniform(0, 10))
        day = at.astimezone(LOCAL).date()
        texts = PLANS[i % len(PLANS)]
        plan = [Step(text, day + timedelta(days=d)) for text, d in zip(texts, (3, 10, 25), strict=True)]
        team = [u for u in (case.lead_unit,) if u is not None]
        case = a.assign_leader(case, by=dispatcher, leader=leader, team_units=team, plan=plan, now=at)
        taken += 1
        last = at
        for step in plan:
            when = datetime.combine(step.due, datetime.min.time(), LOCAL) - DAY * rng.uniform(0.5, 3)
            # The first step mostly on time, later ones done less often: some are left late.
            if when <= last or when >= now or rng.random() > (0.9 if step is plan[0] else 0.45):
                break
            case = a.complete_plan_step(
                case, by=leader, step=plan.index(step) + 1, note="已按方案完成", now=when
            )
            last = when
        if i == 0 and handler is not None and _take(spare, case):  # one taken through to 销号
            resolved = _between(rng, last, now, 0.3, 0.5)
            case = a.resolve_case(
                case, by=handler, outcome="resolved", summary="诉求已依法解决", now=resolved
            )
            closed = resolved + DAY
            case = a.check_pass(case, by=supervisor, note="核查属实", now=closed)
            a.leader_sign_off(case, by=leader, note="问题已化解，同意销号", now=closed + HOUR)
    return taken


def _backlog(dispatcher, supervisor, now, rng, spare) -> int:
    # Resolved 积案 closed by the supervisor: cases already resolved, else staffed ones resolved now.
    closing = 0
    streams = (Stream.DISPUTE, Stream.PETITION)
    resolved = Case.objects.filter(stream__in=streams, status=Status.RESOLVED, backlog=False).order_by("id")
    for case in resolved[: BACKLOG_CLOSING * 2]:
        last = _last(case)
        if closing == BACKLOG_CLOSING or last < now - WINDOW or not _take(spare, case):
            continue  # a resolution left unchecked that long is no 积案 being worked on
        at = _between(rng, last, now, 0.1, 0.3)
        case = a.mark_backlog(case, by=dispatcher, source="市信访联席办交办", now=at)
        a.check_pass(case, by=supervisor, note="积案化解，核查通过", now=_between(rng, at, now, 0.3, 0.6))
        closing += 1
    in_handling = Case.objects.filter(
        stream__in=streams, status=Status.IN_PROGRESS, backlog=False, responsible_leader__isnull=True
    ).order_by("reported_at")
    for case, handler in _staffed(in_handling, BACKLOG_CLOSING):
        if closing == BACKLOG_CLOSING or not _take(spare, case):
            continue
        at = _between(rng, _last(case), now, 0.1, 0.3)
        case = a.mark_backlog(case, by=dispatcher, source="县矛盾纠纷排查认定", now=at)
        at = _between(rng, at, now, 0.3, 0.6)
        case = a.resolve_case(case, by=handler, outcome="resolved", summary="多次调解，积案化解", now=at)
        a.check_pass(case, by=supervisor, note="积案化解，核查通过", now=_between(rng, at, now, 0.3, 0.6))
        closing += 1
    open_ = Case.objects.filter(
        stream__in=(Stream.DISPUTE, Stream.PETITION),
        status__in=(Status.DISPATCHED, Status.IN_PROGRESS),
        backlog=False,
    ).order_by("reported_at")[:BACKLOG_OPEN]  # the oldest still in handling
    marked = 0
    for case in open_:
        a.mark_backlog(
            case,
            by=dispatcher,
            source="县矛盾纠纷排查认定",
            now=_between(rng, max(_last(case), now - WINDOW), now),
        )
        marked += 1
    return marked + closing
