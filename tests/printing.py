"""Printing a generated .docx as LibreOffice would (libreoffice-writer-nogui, installed by ./run-tests):
to PDF, its text, and page images saved as test artifacts."""

import os
import shutil
import subprocess
from pathlib import Path

import pypdfium2

# ./run-tests points the PostgreSQL run, which runs beside the SQLite one, at a folder of its own.
ARTIFACTS = Path(os.environ.get("PINGAN_TEST_OUTPUT") or Path(__file__).resolve().parents[1] / "test-output")


def to_pdf(docx: Path, workdir: Path) -> Path:
    """The PDF LibreOffice makes of `docx`, next to it; its own profile, so runs never collide."""
    return to_pdfs([docx], workdir)[0]


def to_pdfs(files: list[Path], workdir: Path) -> list[Path]:
    """The PDFs of several .docx in one start of LibreOffice (a start takes seconds)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice (libreoffice-writer-nogui) is installed by ./run-tests"
    profile = f"-env:UserInstallation=file://{workdir}/lo-profile"
    command = [
        soffice,
        profile,
        "--headless",
        "--convert-to",
        "pdf",
        "--outdir",
        str(workdir),
        *map(str, files),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=120 * len(files))  # noqa: S603
    return [workdir / (f.stem + ".pdf") for f in files]


def assert_cjk_font(pdf: Path) -> None:
    """A CJK font is embedded, so Chinese prints as Chinese, not as boxes: text alone would not show it."""
    assert b"WenQuanYi" in pdf.read_bytes(), f"{pdf.name}: no CJK font embedded"


def pdf_text(pdf: pypdfium2.PdfDocument) -> str:
    return "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))


def save_pages(pdf: pypdfium2.PdfDocument, folder: str, name: str) -> None:
    """Each page as a PNG in test-output/<folder>/; a blank page fails."""
    target = ARTIFACTS / folder
    target.mkdir(parents=True, exist_ok=True)
    for i in range(len(pdf)):
        image = pdf[i].render(scale=1.2).to_pil()
        image.save(target / f"{name}-page-{i + 1}.png")
        assert image.convert("L").getextrema()[0] < 100, "the page is not blank"
