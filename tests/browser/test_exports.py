"""A large ledger export in the browser: 导出 leads to a progress page, `pingan worker` writes the file
while the page counts along, and the link it then shows downloads the whole ledger."""

import re

import openpyxl
from django.core.management import call_command
from playwright.sync_api import expect

from pingan.demo.generator import generate_cases
from pingan.exports import jobs, ledger
from pingan.exports.models import ExportJob

from .conftest import login, snap

CASES = 30


def test_a_dispatcher_exports_a_large_ledger_through_the_worker(
    new_page, live_server, live_county, settings, tmp_path, monkeypatch
):
    settings.MEDIA_ROOT = tmp_path
    settings.PINGAN_EXPORT_BACKGROUND_ROWS = 20  # below the county's cases: the worker writes it
    monkeypatch.setattr("pingan.exports.ledger.CHUNK_SIZE", 10)
    generate_cases(live_county, CASES)
    page = new_page()
    login(page, live_server, "dispatcher")
    page.get_by_role("link", name="案件台账").click()
    snap(page, "ledger")
    page.get_by_role("button", name="导出 Excel").click()
    expect(page).to_have_url(re.compile(r"/exports/\d+/$"))
    panel = page.locator("#export-job")
    expect(panel).to_contain_text(f"排队等待导出：共 {CASES} 条")
    expect(panel.locator("progress")).to_be_visible()

    # The worker runs here, in the test's thread; after its first batch the page, polling on its own,
    # must show the rows written so far.
    seen = []

    def watched(qs, out, progress):
        def step(rows):
            progress(rows)
            if rows == 10:
                expect(panel).to_contain_text(f"正在导出：已完成 10 / {CASES} 条")
                snap(page, "export-progress")
                seen.append(rows)

        return ledger.write_ledger(qs, out, step)

    monkeypatch.setattr(jobs, "write_ledger", watched)
    call_command("worker", "--batch")
    assert seen == [10]

    expect(panel).to_contain_text(f"导出完成：共 {CASES} 条")
    snap(page, "export-done")
    with page.expect_download() as info:
        panel.get_by_role("link", name="下载 Excel 文件").click()
    download = info.value
    assert re.fullmatch(r"案件台账-\d{8}\.xlsx", download.suggested_filename)
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    ws = openpyxl.load_workbook(saved)["案件台账"]
    assert ws.max_row == CASES + 1 and ws.cell(1, 1).value == "案件编号"

    # Someone else who follows the link gets "not found", not the file.
    job = ExportJob.objects.get()
    other = new_page(allow_errors=[r"status of 404"])
    login(other, live_server, "leader")
    response = other.goto(f"{live_server.url}/exports/{job.pk}/file/")
    assert response is not None and response.status == 404
    expect(other.locator("main")).to_contain_text("未找到该导出任务")
