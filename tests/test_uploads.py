"""Uploads: accepted by content, decoded, capped, stored without metadata, served as downloads."""

import io
import warnings

import pillow_heif
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, PngImagePlugin

from pingan.cases.models import Attachment, Case
from pingan.cases.uploads import clean_upload, store_attachment
from pingan.core.errors import DomainError

from .conftest import case_body

GPS_IFD = 0x8825
ORIENTATION = 0x0112
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _exif_with_gps(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "Pingan Test Camera"
    gps = exif.get_ifd(GPS_IFD)
    gps.update({1: "N", 2: (31.0, 45.0, 0.0), 3: "E", 4: (120.0, 30.0, 0.0)})
    return exif


def _image(fmt: str, size=(20, 10), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, fmt, **save)
    return out.getvalue()


def _stored_image(att: Attachment) -> tuple[bytes, Image.Image]:
    with att.file.open("rb") as f:
        data = f.read()
    return data, Image.open(io.BytesIO(data))


def _media_files() -> set[str]:
    return {str(p) for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()}


@pytest.fixture
def number(county, api):
    status, data = api("dispatcher").post("/cases", case_body(county))
    assert status == 201, data
    return data["number"]


def _upload(api, number, content: bytes, name="photo.jpg", content_type="image/jpeg"):
    f = SimpleUploadedFile(name, content, content_type=content_type)
    r = api("dispatcher").client.post(f"/api/v1/cases/{number}/attachments", {"file": f, "kind": "photo"})
    return r.status_code, r.json()


def test_photo_with_gps_exif_is_stored_without_exif(api, number):
    photo = _image("JPEG", exif=_exif_with_gps(), comment="家住幸福小区 3 栋".encode())
    assert Image.open(io.BytesIO(photo)).getexif().get_ifd(GPS_IFD)[2] == (31.0, 45.0, 0.0)

    status, body = _upload(api, number, photo)

    assert status == 201, body
    att = Attachment.objects.get(pk=body["id"])
    data, stored = _stored_image(att)
    assert stored.format == "JPEG" and att.content_type == "image/jpeg"
    assert not stored.getexif() and b"Exif" not in data and b"Pingan Test Camera" not in data
    assert "comment" not in stored.info and "幸福小区".encode() not in data
    assert att.size == len(data) == body["size"]


def test_exif_orientation_is_applied_before_the_tag_is_dropped(api, number):
    status, body = _upload(api, number, _image("JPEG", size=(20, 10), exif=_exif_with_gps(orientation=6)))

    assert status == 201, body
    _, stored = _stored_image(Attachment.objects.get(pk=body["id"]))
    assert stored.size == (10, 20)


def test_png_text_chunks_are_dropped():
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "家住幸福小区 3 栋")
    text.add_itxt("Location", "31.75N 120.5E")
    png = _image("PNG", pnginfo=text, exif=_exif_with_gps())
    assert Image.open(io.BytesIO(png)).text

    name, stored, mime = clean_upload("map.png", png)

    assert (name, mime) == ("map.png", "image/png")
    image = Image.open(io.BytesIO(stored))
    assert image.format == "PNG" and not image.text and not image.getexif()
    assert b"tEXt" not in stored and b"iTXt" not in stored and b"eXIf" not in stored


def test_heic_is_stored_as_jpeg_without_exif(county, number):
    pillow_heif.register_heif_opener()
    heic = _image("HEIF", exif=_exif_with_gps())
    assert Image.open(io.BytesIO(heic)).getexif().get_ifd(GPS_IFD)

    att = store_attachment(
        Case.objects.get(number=number),
        None,
        kind="photo",
        name="IMG_0001.HEIC",
        content=heic,
        content_type="image/heic",
    )

    data, stored = _stored_image(att)
    assert att.uploaded_by is None and att.original_name == "IMG_0001.jpg"
    assert att.content_type == "image/jpeg" and stored.format == "JPEG" and stored.size == (20, 10)
    assert not stored.getexif() and b"Exif" not in data


def test_html_named_jpeg_is_rejected_and_nothing_is_stored(api, number):
    files_before = _media_files()

    status, body = _upload(api, number, b"<html><script>alert(1)</script></html>", name="photo.jpg")

    assert status == 400
    assert body["error"]["code"] == "unsupported_file"
    assert body["error"]["message"] == "文件格式不支持：只接受 JPEG、PNG、HEIC 图片和 PDF 文件。"
    assert "file" in body["error"]["fields"]
    assert not Attachment.objects.exists()
    assert _media_files() == files_before


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"\xff\xd8\xff\xe0" + b"\x00" * 64, id="jpeg-magic-only"),
        pytest.param(_image("JPEG", size=(64, 64))[:300], id="truncated-jpeg"),
        pytest.param(_image("PNG", size=(64, 64))[:60], id="truncated-png"),
    ],
)
def test_image_that_does_not_decode_is_rejected(api, number, content):
    status, body = _upload(api, number, content)

    assert status == 400 and body["error"]["code"] == "unsupported_file"
    assert not Attachment.objects.exists()


def test_image_with_too_many_pixels_is_rejected(api, number, settings):
    settings.PINGAN_MAX_IMAGE_PIXELS = 20 * 10 - 1

    status, body = _upload(api, number, _image("JPEG", size=(20, 10)))

    assert status == 413 and body["error"]["code"] == "image_too_large"
    assert "万像素" in body["error"]["message"]
    assert not Attachment.objects.exists()


@pytest.mark.parametrize("pillow_limit", [150, 90], ids=["bomb-warning", "bomb-error"])
def test_pillow_decompression_bomb_guard_becomes_the_same_error(monkeypatch, pillow_limit):
    # 200 pixels: Pillow only warns between one and two times its limit (150), raises above (90).
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", pillow_limit)
    photo = _image("JPEG", size=(20, 10))

    with warnings.catch_warnings(), pytest.raises(DomainError) as caught:
        warnings.simplefilter("ignore")  # as in production, where the warning is no error by itself
        clean_upload("photo.jpg", photo)

    assert caught.value.code == "image_too_large" and caught.value.status == 413


def test_file_over_the_size_cap_is_rejected(settings):
    settings.PINGAN_MAX_UPLOAD_BYTES = len(PDF) - 1

    with pytest.raises(DomainError) as caught:
        clean_upload("a.pdf", PDF)

    assert caught.value.code == "file_too_large" and caught.value.status == 413


def test_pdf_is_stored_byte_identical(api, number):
    status, body = _upload(api, number, PDF, name="协议.pdf", content_type="application/octet-stream")

    assert status == 201, body
    att = Attachment.objects.get(pk=body["id"])
    with att.file.open("rb") as f:
        assert f.read() == PDF
    assert att.content_type == "application/pdf" and att.original_name == "协议.pdf"


def test_downloads_are_attachments_with_nosniff(api, web, number):
    status, body = _upload(api, number, PDF, name="协议.pdf")
    assert status == 201, body

    for response in (
        api("dispatcher").client.get(f"/api/v1/cases/{number}/attachments/{body['id']}"),
        web("dispatcher").get(f"/cases/{number}/attachments/{body['id']}/"),
    ):
        assert response.status_code == 200
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"].startswith("attachment")
        assert response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content) == PDF
