"""The generator's COPY writer (PostgreSQL, issue 14) writes what its ORM writer writes, row for row."""

import json
import re
from datetime import UTC, datetime

from django.apps import apps
from django.db import connection, models, transaction

from pingan.analytics import rollups
from pingan.analytics.models import CaseTrack, DailyCount, MonthlyCount, StockChange, StockNet
from pingan.audit.log import verify_chain
from pingan.demo import copywriter
from pingan.demo.generator import generate_cases
from pingan.supervision.models import Supervision

from .test_rollups import counters

NOW = datetime(2025, 6, 30, 2, 0, tzinfo=UTC)
IGNORED = {"updated_at", "enqueued_at"}  # stamped with the time of writing


def content() -> dict[str, list[dict]]:
    """Every table, rows in id order (personal data decrypted: its tokens differ on every write). Rows
    with random ids (the task queue's) are compared without them, sorted."""
    found = {}
    for model in apps.get_models(include_auto_created=True):
        rows = [
            {k: v for k, v in row.items() if k not in IGNORED}
            for row in model.objects.order_by("pk").values()
        ]
        if isinstance(model._meta.pk, models.UUIDField):
            rows = sorted(({k: v for k, v in row.items() if k != "id"} for row in rows), key=repr)
        found[model._meta.label] = rows
    return found


def sequences():
    """What puts PostgreSQL's sequences back where they stand now (a rollback leaves them advanced), so
    that both writers hand out the same ids. SQLite's counters roll back with the transaction."""
    if connection.vendor != "postgresql":
        return lambda: None
    with connection.cursor() as cur:
        cur.execute("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = current_schema()")
        saved = cur.fetchall()

    def restore():
        with connection.cursor() as cur:
            for name, last in saved:
                cur.execute("SELECT setval(%s, %s, %s)", [name, last or 1, last is not None])

    return restore


def seeded(county, copy: bool | None) -> tuple[dict, bool]:
    """The database's content after generating 300 cases, then rolled back; and whether the chain held."""
    with transaction.atomic():
        generate_cases(county, 300, now=NOW, seed=7, copy=copy, batch=120)
        found, intact = content(), verify_chain()[0]
        transaction.set_rollback(True)
    return found, intact


def test_postgresql_seeds_through_copy_and_gets_the_same_rows(county, monkeypatch):
    """On PostgreSQL the generator writes through COPY by default, and leaves every table as the ORM
    writer (the reference, and SQLite's) leaves it: cases, people, requests, events, the audit chain
    with its hashes, the rollup counters and tracks, and the 挂牌督办 records of accepted major hazards."""
    calls = []
    write_rows = copywriter.write_rows
    monkeypatch.setattr(copywriter, "write_rows", lambda batch: calls.append(len(batch)) or write_rows(batch))
    restore = sequences()
    by_orm, intact = seeded(county, copy=False)
    assert intact and not calls
    restore()
    by_default, intact = seeded(county, copy=None)
    assert intact
    assert sum(calls) == (300 if connection.vendor == "postgresql" else 0)
    # What the comparison covers (batches of 120: merges across batches too).
    assert len(by_orm["cases.Case"]) == 300 and len(by_orm["cases.CaseEvent"]) > 1500
    for label in ("cases.Case_related", "cases.Party", "cases.CaseRequest", "analytics.DailyCount"):
        assert by_orm[label], label
    listed = [s for s in by_orm["supervision.Supervision"] if s["issued_by_id"] is None]
    assert listed and all(s["level"] == Supervision.Level.LISTED for s in listed)
    assert [label for label in by_orm if by_orm[label] != by_default[label]] == []


def test_bulk_counter_writes_through_copy_equal_the_multi_row_upserts(county, monkeypatch):
    """On PostgreSQL the receiver writes a bulk write's counters and tracks through COPY (bulk.copy_merge);
    they equal what `rebuild` leaves when it writes the same counters with multi-row INSERTs only."""
    merges = []
    copy_merge = rollups.copy_merge
    monkeypatch.setattr(rollups, "copy_merge", lambda *a: merges.append(a[0]) or copy_merge(*a))
    monkeypatch.setattr(rollups, "ROWS_PER_STATEMENT", 20)  # so that every table's write is a bulk one
    generate_cases(county, 300, now=NOW, seed=7)
    kept = counters()
    on_postgresql = connection.vendor == "postgresql"
    assert set(merges) == (
        {DailyCount, MonthlyCount, StockChange, StockNet, CaseTrack} if on_postgresql else set()
    )
    merges.clear()
    monkeypatch.setattr(rollups, "ROWS_PER_STATEMENT", 100_000)  # one statement for each table
    rollups.rebuild()
    assert not merges
    rebuilt = counters()
    assert rebuilt[:4] == kept[:4]
    # The tracks too, to the millisecond: a track the receiver read back (a case acted on again later)
    # keeps its due times as JSON stored them, a rebuilt one has them from the case row.
    assert ms(rebuilt[4]) == ms(kept[4])


def ms(tracks: dict) -> str:
    return re.sub(r"(\.\d{3})\d{3}", r"\1", json.dumps(tracks, sort_keys=True))
