"""The generator's rows through COPY … FROM STDIN, on PostgreSQL (benchmark sizes: issue 14).

The ORM writer (generator._write_rows) stays the reference, and the one SQLite uses: this writes the
same rows, only faster. Ids come from each table's sequence before anything is written (bulk.copy_objects),
so that a case's merge target, people, requests and follow-ups can name it in the same COPY stream.
The events then go through the event writer as on the ORM path, with COPY for their audit entries and
rows (bulk.copy_rows): the same checks, the same hash chain, and the same receivers keep the rollups and
list major hazards.
"""

from typing import TYPE_CHECKING

from django.utils import timezone

from pingan.cases.models import Case
from pingan.core.bulk import copy_objects, copy_values, give_ids

if TYPE_CHECKING:
    from .history import History


def write_rows(batch: list["History"]) -> None:
    """As generator._write_rows: the cases and what hangs off them, before their events."""
    cases = [h.case for h in batch]
    written = timezone.now()
    for case in cases:
        # As the ORM path leaves them: created when reported, updated when written.
        case.created_at, case.updated_at = case.reported_at, written
    # Ids first: a merged case names its master, which may come earlier in this batch.
    give_ids(cases)
    merged = [(h.case, h.merge_target.case) for h in batch if h.merge_target]
    for case, master in merged:
        case.merged_into_id = master.pk
    copy_objects(cases)
    related = Case.related.through  # symmetrical: one row each way, as related.add() writes
    pairs = [(a.pk, b.pk) for pair in merged for a, b in (pair, pair[::-1])]
    copy_values(related, ("from_case_id", "to_case_id"), pairs)
    co = Case.co_units.through
    copy_values(co, ("case_id", "unit_id"), [(h.case.pk, u) for h in batch for u in h.co_units])
    copy_objects([h.reporter for h in batch if h.reporter])
    copy_objects([p for h in batch for p in h.parties])
    copy_objects([f for h in batch for f in h.follow_ups])
    copy_objects([r for h in batch for r in h.requests])
    copy_objects([h.supervision for h in batch if h.supervision])
