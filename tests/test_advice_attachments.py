"""Attachments: the type is read from the content, sizes are limited, files
live under UPLOADS_PATH with names of our own."""
from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import func, select

from advice_support import client_for, make_queue, person
from lms.advice import attachments
from lms.advice.attachments import AttachmentError, Upload, detect
from lms.advice.models import AdviceAttachment, AdviceRequest
from lms.extensions import db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PDF = b"%PDF-1.7\n1 0 obj\n"


def office(kind: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if kind == "odt":
            archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
            archive.writestr("content.xml", "<x/>")
        else:
            archive.writestr("[Content_Types].xml", "<Types/>")
            archive.writestr({"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}[kind], "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize("data, expected", [
    (PDF, {"pdf"}),
    (PNG, {"png"}),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 16, {"jpg", "jpeg"}),
    ("Región, valor\nTacna, 3\n".encode(), {"txt", "csv"}),
    (office("docx"), {"docx"}),
    (office("xlsx"), {"xlsx"}),
    (office("odt"), {"odt"}),
    (b"<!DOCTYPE html><script>alert(1)</script>", set()),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", set()),
    (b"MZ\x90\x00\x03\x00\x00\x00", set()),
    (b"PK\x03\x04 not really a zip", set()),
])
def test_the_type_comes_from_the_content(data, expected):
    assert detect(data) == expected


@pytest.mark.parametrize("name, data", [
    ("photo.pdf", PNG),            # a PNG named .pdf
    ("page.html", b"<p>hi</p>"),   # a type we never accept
    ("notes.txt", b"\x00\x01binary"),
    ("tool.exe", b"MZ\x90\x00"),
    ("noextension", PDF),
])
def test_mismatched_or_unknown_files_are_refused(app, name, data):
    with app.test_request_context(), pytest.raises(AttachmentError):
        attachments.validate(Upload(name, data))


def test_size_and_count_limits(app, monkeypatch):
    monkeypatch.setitem(app.config, "ADVICE_ATTACHMENT_MAX_BYTES", 100)
    with app.test_request_context():
        assert attachments.validate(Upload("a.pdf", PDF)) == "application/pdf"
        with pytest.raises(AttachmentError):
            attachments.validate(Upload("big.pdf", PDF + b"x" * 100))
        with pytest.raises(AttachmentError):
            attachments.validate_all([Upload(f"{n}.pdf", PDF) for n in range(app.config["ADVICE_MAX_ATTACHMENTS"] + 1)])


def test_filenames_are_cleaned():
    assert attachments.clean_filename("../../etc/passwd") == "passwd"
    assert attachments.clean_filename('C:\\Users\\ana\\"informe".pdf') == "informe.pdf"
    assert attachments.clean_filename("") == "file"


def _form(queue, **extra):
    return {"title": "With a file", "body": "See the attached plan", "queue_id": str(queue.id),
            "phase": "action_plan", "language": "en", **extra}


def test_a_learner_attaches_files_to_a_request(app):
    learner = person("learner", locale="en")
    queue = make_queue()
    client = client_for(app, learner)
    response = client.post("/advice/new", content_type="multipart/form-data", data=_form(
        queue, attachments=[(io.BytesIO(PDF), "plan de acción.pdf"), (io.BytesIO(PNG), "map.png")]))
    assert response.status_code == 302
    files = db.session.scalars(select(AdviceAttachment).order_by(AdviceAttachment.id)).all()
    assert [(f.filename, f.content_type, f.size) for f in files] == [
        ("plan de acción.pdf", "application/pdf", len(PDF)), ("map.png", "image/png", len(PNG))]
    for item in files:
        path = attachments.path_of(item.stored_name)
        assert path.is_file() and path.is_relative_to(app.config["UPLOADS_PATH"])
        assert item.filename not in str(path)
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "plan de acción.pdf" in html
    download = client.get(f"/advice/attachments/{files[0].id}")
    assert download.data == PDF
    assert "filename*=UTF-8''plan%20de%20acci%C3%B3n.pdf" in download.headers["Content-Disposition"]


def test_a_refused_file_keeps_the_rest_of_the_form(app):
    learner = person("learner", locale="en")
    queue = make_queue()
    client = client_for(app, learner)
    response = client.post("/advice/new", content_type="multipart/form-data", data=_form(
        queue, attachments=[(io.BytesIO(b"<html>x</html>"), "page.html")]))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Files of this type cannot be attached" in html
    assert "See the attached plan" in html
    assert db.session.scalar(select(func.count()).select_from(AdviceRequest)) == 0
    assert db.session.scalar(select(func.count()).select_from(AdviceAttachment)) == 0
