"""Images for lessons: checked on their content, resized, served with safe headers."""
from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from sqlalchemy import func, select

from lms.authoring import media
from lms.authoring.models import MediaFile
from lms.extensions import db
from authoring_support import authored_course, editor_fields, image_bytes
from factories import make_user
from pages import page

LESSON = "/author/courses/authored/lessons/lesson-1-1"


@pytest.fixture()
def editor(tmp_path, client, auth):
    trainer = make_user("trainer", locale="en")
    authored_course(tmp_path, trainer, lessons=1)
    auth.login(trainer.email)
    return client


def _upload(client, data: bytes, filename="photo.png", alt="Cocoa pods drying in the sun", language="en",
            **extra):
    fields = editor_fields(client.get(LESSON))
    return client.post(LESSON, data={**fields, **extra, "action": "upload", "alt": alt, "image_language": language,
                                     "image": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def _media_count() -> int:
    return db.session.scalar(select(func.count(MediaFile.id)))


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "GIF"])
def test_image_is_resized_stored_and_inserted_as_markdown(app, editor, fmt):
    app.config["MEDIA_MAX_WIDTH"] = 300
    try:
        response = _upload(editor, image_bytes(fmt, size=(900, 600)), filename=f"big.{fmt.lower()}",
                           text_en="My own typed text, not saved yet.")
    finally:
        app.config.pop("MEDIA_MAX_WIDTH")
    parsed = page(response)
    assert response.status_code == 200, parsed.flashes()
    text = parsed.find("textarea", name="text_en").text
    # The typed text is kept and the image added at its end.
    assert "My own typed text, not saved yet." in text
    match = re.search(r"!\[Cocoa pods drying in the sun\]\((/media/[0-9a-f]{64}\.(png|jpg|webp|gif))\)", text)
    assert match, text
    # The preview shows it as learners will see it.
    assert f'<img alt="Cocoa pods drying in the sun" src="{match.group(1)}">' in response.get_data(as_text=True)
    served = editor.get(match.group(1))
    assert served.status_code == 200
    with Image.open(io.BytesIO(served.data)) as image:
        assert image.format == fmt and image.size == (300, 200)
    stored = db.session.scalar(select(MediaFile))
    assert (stored.width, stored.height, stored.alt_text) == (300, 200, "Cocoa pods drying in the sun")
    small = editor.get(f"/media/{stored.small_name}")
    with Image.open(io.BytesIO(small.data)) as image:
        assert image.width == 300  # no wider than the original image at its full size
    # Nothing was saved: the trainer saves when ready.
    assert "Cocoa pods" not in editor_fields(editor.get(LESSON))["text_en"]


def test_small_variant_is_narrower(app, editor):
    response = _upload(editor, image_bytes("JPEG", size=(1600, 800)), filename="wide.jpg")
    assert response.status_code == 200
    stored = db.session.scalar(select(MediaFile))
    assert stored.width == 1200
    with Image.open(io.BytesIO(editor.get(f"/media/{stored.small_name}").data)) as image:
        assert image.width == 480


def test_renamed_executable_is_refused(editor):
    elf = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200
    response = _upload(editor, elf, filename="innocent.png")
    assert page(response).field_error("image") == "This file is not a PNG, JPEG, WebP or GIF image."
    windows = b"MZ\x90\x00" + b"\x00" * 200
    assert page(_upload(editor, windows, filename="photo.jpg")).field_error("image") == \
        "This file is not a PNG, JPEG, WebP or GIF image."
    assert _media_count() == 0


def test_file_with_image_magic_that_does_not_decode_is_refused(editor):
    fake = b"\x89PNG\r\n\x1a\n" + b"#!/bin/sh\nrm -rf /\n" * 20
    assert page(_upload(editor, fake)).field_error("image") == "This file is not a PNG, JPEG, WebP or GIF image."
    # Magic bytes of one format, content of another: refused as well.
    jpeg_named_png = b"\x89PNG\r\n\x1a\n" + image_bytes("JPEG")[8:]
    assert page(_upload(editor, jpeg_named_png)).field_error("image")
    assert _media_count() == 0


def test_oversize_image_is_refused(app, editor):
    app.config["MEDIA_MAX_BYTES"] = 20_000
    try:
        noisy = Image.effect_noise((400, 400), 100).convert("RGB")
        buffer = io.BytesIO()
        noisy.save(buffer, format="PNG")
        assert len(buffer.getvalue()) > 20_000
        response = _upload(editor, buffer.getvalue())
    finally:
        app.config.pop("MEDIA_MAX_BYTES")
    assert page(response).field_error("image") == "The image is larger than 20 KB."
    assert _media_count() == 0


def test_alt_text_is_required(editor):
    response = _upload(editor, image_bytes(), alt="   ")
    parsed = page(response)
    assert parsed.field_error("alt") == "Describe the image for people who cannot see it (alternative text)."
    assert _media_count() == 0


def test_media_is_served_with_safe_headers(editor):
    _upload(editor, image_bytes())
    stored = db.session.scalar(select(MediaFile))
    response = editor.get(f"/media/{stored.name}")
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"] == f'inline; filename="{stored.name}"'
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert "immutable" in response.headers["Cache-Control"] and "max-age=31536000" in response.headers["Cache-Control"]
    # Names are checked, never trusted as paths.
    for bad in ("../../etc/passwd", "..%2F..%2Fsecret.png", "abc.png", f"{stored.name[:-3]}html"):
        assert editor.get(f"/media/{bad}").status_code == 404, bad


def test_sniff_recognises_formats():
    assert media.sniff(image_bytes("PNG")[:16]) == "PNG"
    assert media.sniff(image_bytes("JPEG")[:16]) == "JPEG"
    assert media.sniff(image_bytes("GIF")[:16]) == "GIF"
    assert media.sniff(image_bytes("WEBP")[:16]) == "WEBP"
    assert media.sniff(b"<svg xmlns=") is None
