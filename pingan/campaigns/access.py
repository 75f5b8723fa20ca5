"""Who reads and who runs a campaign: the subtree rule of the one policy (GOVERNANCE §1).

- Organisers — supervisors, and the 综治中心's dispatchers, who register rectification cases and reopen
  closed ones anyway — create and run a campaign whose every scope region lies under their grant.
- Leaders, supervisors and dispatchers read the campaigns of their subtree, and those that take in their
  region (a county campaign is read in its towns); the lead, participating and responsible units read the
  campaigns they work in, and report progress on their own tasks (as does a task's responsible official).
- Leaders and supervisors 督办 tasks, as they 督办 cases.
Findings are cases: each reader sees those the case policy lets him see, and figures count only those.
"""

from django.db.models import Q

from pingan.accounts import policy
from pingan.accounts.scope import Scope
from pingan.regions.models import CODE_LENGTHS

from .models import Campaign, Task

ORGANISERS = ("supervisor", "dispatcher")
READERS = ("leader", "supervisor", "dispatcher")
SUPERVISORS = ("leader", "supervisor")
UNIT_ROLES = ("handler", "unit_head")


def readable_q(scope: Scope) -> Q | None:
    """Campaigns this scope reads; None when it reads none."""
    clauses: list[Q] = []
    grants = scope.regions_for(*READERS)
    for code in grants:
        clauses.append(Q(scope_regions__code__startswith=code))
    above = {code[:n] for code in grants for n in CODE_LENGTHS if n < len(code)}
    if above:
        clauses.append(Q(scope_regions__code__in=above))
    units = scope.units_for(*UNIT_ROLES)
    if units:
        clauses.append(Q(lead_unit__in=units) | Q(units__in=units) | Q(tasks__unit__in=units))
    if scope.user_id is not None:
        clauses.append(Q(tasks__official=scope.user_id))
    if not clauses:
        return None
    q = clauses[0]
    for clause in clauses[1:]:
        q |= clause
    return q


def may_organise(scope: Scope, region_codes: list[str]) -> bool:
    return bool(region_codes) and all(policy.covers(scope, ORGANISERS, code) for code in region_codes)


def may_run(scope: Scope, campaign: Campaign) -> bool:
    """Add tasks and findings, accept or reject tasks, draw 回头看 rounds."""
    return may_organise(scope, [r.code for r in campaign.scope_regions.all()])


def may_supervise(scope: Scope, campaign: Campaign) -> bool:
    codes = [r.code for r in campaign.scope_regions.all()]
    return bool(codes) and all(policy.covers(scope, SUPERVISORS, code) for code in codes)


def may_report(scope: Scope, task: Task) -> bool:
    """The responsible unit (or a unit above it) and the task's responsible official."""
    return task.unit_id in scope.units_for(*UNIT_ROLES) or (
        task.official_id is not None and task.official_id == scope.user_id
    )


def may_reinspect(scope: Scope) -> bool:
    """Whether to offer the re-inspection forms: the roles that may reopen a case (the case policy
    decides for each case when the result is recorded)."""
    return scope.has_role("dispatcher", "leader")
