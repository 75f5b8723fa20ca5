"""What the centre tells the reporter: how soon a new report is taken up, and the closing answer.

The closing answer is what staff wrote for the reporter to read — the on-the-spot answer, the handler's
办理情况 (the reply owed to the reporter, as 12345 rules have it), a rejection's reason and proper
channel — never work records, check notes or who handled the case. Staff write it as free text, so the
personal data of the case's people is masked in it as everywhere else (DESIGN §8).
"""

import re
from datetime import datetime

from pingan.cases import selectors
from pingan.cases.clocks import LOCAL
from pingan.cases.models import Case, Party, Reporter, Status
from pingan.cases.rules import time_limit
from pingan.core.pii import mask, mask_id_number

# Ended with an answer, to the public 已办结: RESOLVED counts, as it does for rating (a failed check
# takes the case back to 办理中, and the answer with it).
ANSWERED = (Status.RESOLVED, Status.CLOSED, Status.ARCHIVED)
PUBLIC_OUTCOME: dict[str, str] = {
    Case.Outcome.RESOLVED: "问题已解决",
    Case.Outcome.PARTLY: "问题部分解决",
    Case.Outcome.UNRESOLVED_REFERRED: "调解未成，已告知您通过诉讼、仲裁或行政复议等途径解决",
    Case.Outcome.EXPLAINED: "已作解释说明",
    Case.Outcome.NOT_SUPPORTED: "诉求不予支持",
}
WITHIN = {"work_hours": "{n} 个工作小时", "work_days": "{n} 个工作日", "natural_days": "{n} 天"}
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
MAX_MERGES = 5  # a merged case follows its master, which may itself have been merged


def first_response(case: Case) -> dict | None:
    """The accept limit a new report runs on (its category's, else its stream's) in words, and the due
    time it gives: {"within": "2 个工作小时", "due": datetime}."""
    rule = time_limit(case, "accept", case.reported_at.astimezone(LOCAL).date())
    if rule is None or case.accept_due is None:
        return None
    return {"within": WITHIN[rule.unit].format(n=rule.amount), "due": case.accept_due}


def closing_answer(case: Case) -> dict | None:
    """`result` of the public lookup (DESIGN §7): present once the case has ended with an answer.
    A merged case's reporter follows the master case (DESIGN §4)."""
    readers = [case]
    for _ in range(MAX_MERGES):
        if case.status != Status.MERGED or case.merged_into_id is None:
            break
        case = Case.objects.get(pk=case.merged_into_id)
        readers.append(case)
    answer = _answer(case)
    if answer is None:
        return None
    masks = [m for c in readers for m in _people(c)]
    for key in ("summary", "advice"):
        if key in answer:
            answer[key] = _masked(answer[key], masks)
    return answer


def _answer(case: Case) -> dict | None:
    if case.status in ANSWERED:
        return _result(
            case.outcome,
            PUBLIC_OUTCOME.get(case.outcome, "已办结"),
            case.outcome_summary,
            case.resolved_at or case.closed_at,
        )
    if case.status == Status.REJECTED:
        event = selectors.last_event(case, "reject")
        data = event.data if event else {}
        result = _result("rejected", "不予受理", data.get("reason", ""), case.closed_at)
        if data.get("channel_advice"):
            result["advice"] = data["channel_advice"]
        return result
    return None


def _result(outcome: str, label: str, summary: str, at: datetime | None) -> dict:
    return {"outcome": outcome, "outcome_label": label, "summary": summary, "finished_at": at}


def _people(case: Case) -> list[tuple[str, str]]:
    """(kind, value) of every personal datum the case holds on its reporter and parties."""
    found = []
    people = [*Reporter.objects.filter(case=case), *Party.objects.filter(case=case)]
    for person in people:
        for kind in ("name", "phone", "address", "id_number"):
            value = getattr(person, kind, "") or ""
            if len(value) >= 2:
                found.append((kind, value))
    return found


def _masked(text: str, people: list[tuple[str, str]]) -> str:
    for kind, value in sorted(people, key=lambda p: -len(p[1])):  # 张三丰 before 张三
        text = text.replace(value, mask(kind, value))
    return ID_NUMBER.sub(lambda m: mask_id_number(m.group()), text)
