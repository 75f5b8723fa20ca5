"""The audit log as several hash chains (pingan.audit.log): an object's entries go to its own chain, a
transaction appends to one chain, appends to different chains do not wait on each other, and
`pingan audit verify` checks every chain, the single chain of before included, naming the chain where
one breaks."""

import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction

from pingan.audit.log import GENESIS, check_chain, partition_of, record, record_many
from pingan.audit.models import AuditEntry, AuditHead


def _two_objects() -> tuple[str, str]:
    """Two case numbers whose entries go to different chains."""
    first = "PA-990122-2026-000001"
    other = next(
        f"PA-990122-2026-{n:06d}"
        for n in range(2, 100)
        if partition_of("case", f"PA-990122-2026-{n:06d}") != partition_of("case", first)
    )
    return first, other


def _record(number: str, action: str = "case.accept") -> AuditEntry:
    with transaction.atomic():
        return record("dispatcher", action, object_type="case", object_id=number)


def _verify() -> tuple[bool, str]:
    out = StringIO()
    try:
        call_command("audit", "verify", stdout=out)
    except CommandError:
        return False, out.getvalue()
    return True, out.getvalue()


def _tamper(entry: AuditEntry) -> None:
    with connection.cursor() as cur:
        cur.execute("UPDATE audit_auditentry SET actor = %s WHERE id = %s", ["mallory", entry.pk])


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_entries_about_different_objects_go_to_their_own_chains():
    a, b = _two_objects()
    entries = [_record(a), _record(b), _record(a, "case.dispatch"), _record(b, "case.dispatch")]
    assert [e.partition for e in entries] == [partition_of("case", n) for n in (a, b, a, b)]
    first_a, first_b, second_a, second_b = entries
    assert first_a.prev_hash == first_b.prev_hash == GENESIS  # two chains, each from its start
    assert (second_a.prev_hash, second_b.prev_hash) == (first_a.hash, first_b.hash)
    heads = {h.partition: h.count for h in AuditHead.objects.all()}
    assert heads == {first_a.partition: 2, first_b.partition: 2}
    assert check_chain().intact and _verify() == (True, "审计链完整：共 4 条\n")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_transaction_appends_to_the_chain_of_its_first_entry():
    a, b = _two_objects()
    with transaction.atomic():
        record("dispatcher", "case.accept", object_type="case", object_id=a)
        record("dispatcher", "case.accept", object_type="case", object_id=b)
        record_many([AuditEntry(actor="system", action="case.dispatch", object_type="case", object_id=b)])
    assert set(AuditEntry.objects.values_list("partition", flat=True)) == {partition_of("case", a)}
    assert AuditHead.objects.get().count == 3
    # The next transaction starts afresh: its first entry's object chooses.
    assert _record(b).partition == partition_of("case", b)
    assert check_chain().intact


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_tampering_is_named_with_its_chain_and_the_other_chains_still_verify():
    a, b = _two_objects()
    for _ in range(3):
        _record(a), _record(b)
    altered = AuditEntry.objects.filter(partition=partition_of("case", a)).order_by("id")[1]
    _tamper(altered)
    result = check_chain()
    assert not result.intact and list(result.breaks) == [altered.partition]
    assert result.first_bad == altered
    assert result.checked == 4  # chain a's first entry and all three of chain b
    ok, out = _verify()
    assert not ok and f"审计链 {altered.partition} 断开：id={altered.pk}" in out and "操作人 mallory" in out


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_chain_cut_off_at_its_end_is_named():
    a, b = _two_objects()
    for _ in range(2):
        _record(a), _record(b)
    last = AuditEntry.objects.filter(partition=partition_of("case", b)).order_by("-id").first()
    with connection.cursor() as cur:
        cur.execute("DELETE FROM audit_auditentry WHERE id = %s", [last.pk])
    result = check_chain()
    assert result.short == (partition_of("case", b),) and not result.breaks
    ok, out = _verify()
    assert not ok and f"审计链 {partition_of('case', b)} 不完整" in out


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_single_chain_of_before_stays_verifiable(settings):
    """Written with one chain (as before the partitions: chain 0, its head the one row), then with
    eight: both verify, and tampering an old entry names chain 0."""
    a, b = _two_objects()
    settings.PINGAN_AUDIT_PARTITIONS = 1
    old = [_record(a), _record(b), _record(a)]
    assert {e.partition for e in old} == {0} and AuditHead.objects.get().partition == 0
    settings.PINGAN_AUDIT_PARTITIONS = 8
    _record(a), _record(b)
    assert check_chain().intact and check_chain().checked == 5
    _tamper(old[1])
    assert list(check_chain().breaks) == [0]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_append_reads_and_moves_only_its_own_chains_head():
    """On both databases: the head an append reads (and locks, on PostgreSQL) and moves is its chain's
    row alone, so nothing in the statement reaches another chain's head."""
    from django.test.utils import CaptureQueriesContext

    a, b = _two_objects()
    _record(a), _record(b)
    with CaptureQueriesContext(connection) as queries:
        entry = _record(b)
    heads = [q["sql"] for q in queries if "audit_audithead" in q["sql"]]
    assert heads, "an append reads its head"
    for sql in heads:
        where = sql.split("WHERE", 1)[1]
        assert '"partition"' in where or '"id"' in where, sql  # one chain's row, never the whole table
    moved = AuditHead.objects.get(partition=entry.partition)
    untouched = AuditHead.objects.get(partition=partition_of("case", a))
    assert (moved.count, moved.last_hash) == (2, entry.hash) and untouched.count == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_appends_to_different_chains_do_not_wait_on_each_other():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite takes one writer at a time, whatever the chains")
    a, b = _two_objects()
    _record(a), _record(b)  # both heads exist
    holding, done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def hold_chain_a():
        try:
            with transaction.atomic():
                record("dispatcher", "case.accept", object_type="case", object_id=a)
                holding.set()
                done.wait(10)  # chain a's head stays locked until the other append is through
        except BaseException as exc:
            errors.append(exc)
            holding.set()
        finally:
            connections.close_all()

    other = threading.Thread(target=hold_chain_a)
    other.start()
    try:
        assert holding.wait(10)
        with transaction.atomic():
            with connection.cursor() as cur:
                cur.execute("SET LOCAL lock_timeout = '2s'")
            entry = record("dispatcher", "case.accept", object_type="case", object_id=b)
        assert entry.partition == partition_of("case", b)
    finally:
        done.set()
        other.join(10)
    assert not errors
    assert check_chain().intact and AuditEntry.objects.count() == 4


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_new_chain_gets_its_head_after_an_upgrade():
    """Before the chains, the one head was made with id 1 given explicitly (unseen by PostgreSQL's id
    sequence); the migration moves the sequence on, so the first head of a new chain gets a new id."""
    from importlib import import_module

    from django.apps import apps
    from django.db import connection as default

    AuditHead.objects.all().delete()
    AuditHead.objects.create(pk=1, partition=0, last_hash=GENESIS)
    migration = import_module("pingan.audit.migrations.0003_chain_partitions")
    with default.schema_editor() as editor:
        migration.reset_head_ids(apps, editor)
    a, b = _two_objects()
    chains = {partition_of("case", a), partition_of("case", b)} - {0}
    for number in (a, b):
        _record(number)
    assert set(AuditHead.objects.values_list("partition", flat=True)) >= chains
    assert check_chain().intact
