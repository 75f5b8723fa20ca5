"""Large ledger exports run in the background (`pingan worker`): the same file as the download written
during the request, progress on a page htmx refreshes, the requester's alone, gone when it expires."""

import io
import os
import re
import stat
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pingan.audit.models import AuditEntry
from pingan.cases.models import Case
from pingan.cases.selectors import CaseFilter
from pingan.demo.generator import generate_cases
from pingan.exports import jobs
from pingan.exports.ledger import export_ledger
from pingan.exports.models import ExportJob

from .conftest import Api, case_body

URL = "/exports/ledger/"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def threshold(settings):
    """Exports of more rows than this go to the worker."""
    settings.PINGAN_EXPORT_BACKGROUND_ROWS = 3
    return 3


def _create(county, n: int, town: int = 0) -> list[str]:
    village = county.villages[county.towns[town].code][0]
    d = Api(county.users["dispatcher"])
    return [
        d.post("/cases", case_body(county, title=f"第{i}件", region=village.code))[1]["number"]
        for i in range(n)
    ]


def _queue(client, filters=None) -> ExportJob:
    response = client.post(URL, filters or {})
    assert response.status_code == 302, response.content[:300]
    job = ExportJob.objects.get()
    assert response["Location"] == f"/exports/{job.pk}/"
    return job


def _cells(content: bytes) -> list[tuple]:
    ws = openpyxl.load_workbook(io.BytesIO(content))["案件台账"]
    return list(ws.iter_rows(values_only=True))


def _download(client, job: ExportJob) -> bytes:
    response = client.get(f"/exports/{job.pk}/file/")
    assert response.status_code == 200, response.content[:300]
    return b"".join(response.streaming_content)


def test_the_background_file_equals_the_download_written_at_once(county, web, media, settings):
    """A few thousand demo cases, exported both ways for the same filters: the same cells, row by row."""
    generate_cases(county, 2500)
    settings.PINGAN_EXPORT_BACKGROUND_ROWS = 500
    dispatcher = county.users["dispatcher"]
    client = web("dispatcher")
    for filters in ({}, {"status": "in_progress,closed,archived", "region": county.towns[1].code}):
        f = CaseFilter(**filters)
        ExportJob.objects.all().delete()
        job = _queue(client, filters)
        assert jobs.write_export.call(job.pk) == job.rows_total > 500
        background = _cells(_download(client, job))
        at_once = _cells(export_ledger(dispatcher, f).file.read())
        assert len(background) == len(at_once) == job.rows_total + 1
        for row, (mine, theirs) in enumerate(zip(background, at_once, strict=True)):
            assert mine == theirs, f"row {row}"
    assert job.rows_total < Case.objects.visible_to(dispatcher).count() == 2500  # the filters applied


def test_a_small_export_downloads_at_once_and_makes_no_job(county, web, media, threshold):
    _create(county, threshold)
    response = web("dispatcher").post(URL)
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    assert len(_cells(b"".join(response.streaming_content))) == threshold + 1
    assert not ExportJob.objects.exists()


def test_a_large_export_is_a_job_audited_like_an_export(county, web, media, threshold):
    _create(county, threshold + 2)
    job = _queue(web("dispatcher"), {"status": "reported"})
    assert job.requester.username == "dispatcher" and job.status == ExportJob.Status.QUEUED
    assert job.filters == {"status": "reported"} and job.rows_total == threshold + 2
    assert job.expires_at - job.created_at == timedelta(hours=24)
    entry = AuditEntry.objects.get(action="case.export")
    assert entry.actor == "dispatcher" and entry.object_type == "ledger"
    assert entry.data == {"filters": {"status": "reported"}, "rows": threshold + 2, "job": job.pk}


def test_a_second_click_finds_the_unfinished_job(county, web, media, threshold):
    _create(county, threshold + 1)
    client = web("dispatcher")
    filters = {"stream": "request", "status": "reported,accepted"}
    first = _queue(client, filters)
    assert client.post(URL, filters)["Location"] == f"/exports/{first.pk}/"
    assert ExportJob.objects.count() == 1 and AuditEntry.objects.filter(action="case.export").count() == 1
    jobs.write_export.call(first.pk)
    assert client.post(URL, filters)["Location"] != f"/exports/{first.pk}/"  # finished: a new one


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_worker_writes_the_file_and_the_page_offers_it(county, web, media, threshold):
    """What the ledger's button leads to: a page polling with htmx, then (after `pingan worker`) a
    download link; the file is owner-only and its download audited."""
    _create(county, threshold + 2)
    client = web("dispatcher")
    job = _queue(client)
    page = client.get(f"/exports/{job.pk}/").content.decode()
    assert f"排队等待导出：共 {threshold + 2} 条" in page
    assert f'hx-get="/exports/{job.pk}/" hx-trigger="every 1s"' in page
    call_command("worker", "--batch")
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE and job.rows_done == job.rows_total == threshold + 2
    partial = client.get(f"/exports/{job.pk}/", headers={"HX-Request": "true"})
    text = partial.content.decode()
    assert "<html" not in text and "hx-trigger" not in text  # a fragment, and the polling stops
    assert f"导出完成：共 {threshold + 2} 条" in text and f'href="/exports/{job.pk}/file/"' in text
    path = Path(media, job.file)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) & 0o077 == 0
    assert len(_cells(_download(client, job))) == threshold + 3
    entry = AuditEntry.objects.get(action="export.download")
    assert entry.actor == "dispatcher" and entry.object_id == str(job.pk)
    assert entry.data == {"filters": {}, "rows": threshold + 2}


def test_a_job_nobody_takes_tells_whom_to_ask(county, web, media, threshold):
    _create(county, threshold + 1)
    client = web("dispatcher")
    job = _queue(client)
    assert "pingan worker" not in client.get(f"/exports/{job.pk}/").content.decode()
    ExportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(minutes=3))
    text = client.get(f"/exports/{job.pk}/").content.decode()
    assert "已排队较长时间仍未开始" in text and "pingan worker" in text


def test_the_page_counts_the_rows_written_so_far(county, web, media, threshold):
    _create(county, threshold + 1)
    client = web("dispatcher")
    job = _queue(client)
    ExportJob.objects.filter(pk=job.pk).update(status="running", rows_done=8000, rows_total=20000)
    text = client.get(f"/exports/{job.pk}/").content.decode()
    assert "正在导出：已完成 8,000 / 20,000 条" in text
    assert '<progress max="20000" value="8000">' in text and "hx-trigger" in text
    listing = client.get("/exports/").content.decode()
    assert "8,000 / 20,000" in listing and f'href="/exports/{job.pk}/"' in listing


def test_progress_is_written_once_per_batch_not_per_row(county, web, media, threshold, monkeypatch):
    monkeypatch.setattr("pingan.exports.ledger.CHUNK_SIZE", 2)
    _create(county, 7)
    job = _queue(web("dispatcher"))
    with CaptureQueriesContext(connection) as ctx:
        assert jobs.write_export.call(job.pk) == 7
    progress = [q["sql"] for q in ctx.captured_queries if re.search(r'SET "rows_done" = \S+ WHERE', q["sql"])]
    assert len(progress) == 3, progress  # after rows 2, 4 and 6; the last batch ends with the job


def test_the_job_reads_with_the_requesters_scope(county, web, media, settings):
    """handler2 works in the second town: his job holds its cases and none of the first town's."""
    first = set(_create(county, 2, town=0))
    second = set(_create(county, 2, town=1))
    d = Api(county.users["dispatcher"])
    for number in first | second:
        d.act(number, "accept")
        d.act(number, "dispatch", {})
    settings.PINGAN_EXPORT_BACKGROUND_ROWS = 1
    client = web("handler2")
    job = _queue(client)
    jobs.write_export.call(job.pk)
    assert {row[0] for row in _cells(_download(client, job))[1:]} == second


def test_nobody_else_reaches_a_job(county, web, media, threshold):
    _create(county, threshold + 1)
    job = _queue(web("dispatcher"))
    jobs.write_export.call(job.pk)
    for other in ("leader", "supervisor", "handler2", "auditor"):
        client = web(other)
        for path in (f"/exports/{job.pk}/", f"/exports/{job.pk}/file/"):
            response = client.get(path)
            assert response.status_code == 404, (other, path)
        assert f"/exports/{job.pk}/" not in client.get("/exports/").content.decode()
    assert not AuditEntry.objects.filter(action="export.download").exists()


def test_an_expired_job_answers_410_and_its_file_is_gone(county, web, media, threshold):
    _create(county, threshold + 1)
    client = web("dispatcher")
    job = _queue(client)
    jobs.write_export.call(job.pk)
    job.refresh_from_db()
    path = Path(media, job.file)
    assert path.exists()
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get(f"/exports/{job.pk}/file/")
    assert response.status_code == 410
    assert "该导出文件已过期删除（导出文件保留 24 小时）" in response.content.decode()
    assert not path.exists()
    job.refresh_from_db()
    assert job.status == ExportJob.Status.EXPIRED and job.file == ""
    assert "该导出文件已过期删除" in client.get(f"/exports/{job.pk}/").content.decode()
    assert not AuditEntry.objects.filter(action="export.download").exists()


def _expire(job: ExportJob) -> Path:
    """Runs the job, then puts its expiry in the past; returns its file."""
    jobs.write_export.call(job.pk)
    job.refresh_from_db()
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    return Path(default_storage.path(job.file))


def test_purge_and_the_next_job_delete_expired_files(county, web, media, threshold, capsys):
    _create(county, threshold + 1)
    client = web("dispatcher")
    old = _expire(_queue(client))
    call_command("purge", "--dry-run")
    assert "删除过期导出文件 1 个" in capsys.readouterr().out and old.exists()
    call_command("purge")
    assert "删除过期导出文件 1 个" in capsys.readouterr().out and not old.exists()
    assert AuditEntry.objects.get(action="purge").data["expired"] == 1
    # The task itself sweeps too: an expired file is gone once the next job has run.
    client.post(URL)
    older = _expire(ExportJob.objects.get(status="queued"))
    client.post(URL, {"status": "reported"})
    newer = ExportJob.objects.get(status="queued")
    jobs.write_export.call(newer.pk)
    newer.refresh_from_db()
    assert not older.exists() and Path(default_storage.path(newer.file)).exists()


def test_a_failed_export_says_so_in_chinese(county, web, media, threshold, monkeypatch):
    _create(county, threshold + 1)
    client = web("dispatcher")
    job = _queue(client)

    def broken(qs, out, progress=None):
        out.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr("pingan.exports.jobs.write_ledger", broken)
    with pytest.raises(OSError):
        jobs.write_export.call(job.pk)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED and job.file == ""
    assert os.listdir(media / "exports") == []
    page = client.get(f"/exports/{job.pk}/").content.decode()
    assert "导出失败：生成文件时出错。请稍后重新导出" in page and "hx-trigger" not in page
    assert client.get(f"/exports/{job.pk}/file/").status_code == 409
