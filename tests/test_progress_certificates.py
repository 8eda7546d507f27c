"""Certificates: issued in the learner's language, verified publicly (valid,
unknown, revoked), revoked by admins only, and printed as a PDF that carries
any name, with the font embedded."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from factories import make_user, write_course
from lms.catalog.service import enrol
from lms.content.importer import import_courses
from lms.content.models import Course
from lms.extensions import db
from lms.progress.certificates import normalise_code, render_pdf
from lms.progress.models import Certificate
from lms.progress.service import mark_done

NAMES = ["María José Ñañez Gonçalves", "Ŋuŋa Ɨñʉ Tsáchila", "João Ãngelo Ꞌkwa", "Zoë Ørsted-Łukasz"]


def _complete(tmp_path, name="Ana", locale="en", hours=True) -> Certificate:
    folder = write_course(tmp_path, "alpha", modules=1, lessons=1, title="Innovación")
    if not hours:
        text = (folder / "course.toml").read_text(encoding="utf-8").replace("hours = 4\n", "")
        (folder / "course.toml").write_text(text, encoding="utf-8")
    import_courses(tmp_path)
    course = db.session.scalar(select(Course))
    learner = make_user(name=name, locale=locale)
    enrol(learner.id, course)
    mark_done(learner.id, course, "lesson-1-1")
    return db.session.scalar(select(Certificate).where(Certificate.user_id == learner.id))


def test_certificate_is_issued_once_in_the_learners_language(tmp_path):
    certificate = _complete(tmp_path, locale="es")
    assert certificate.language == "es" and certificate.course_title == "Innovación (es)"
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", certificate.code)
    assert certificate.hours == 4 and certificate.revoked_at is None
    mark_done(certificate.user_id, db.session.scalar(select(Course)), "lesson-1-1")
    assert len(db.session.scalars(select(Certificate)).all()) == 1


def test_codes_are_read_forgivingly():
    assert normalise_code(" abcd efgh-jkmn ") == "ABCD-EFGH-JKMN"
    assert normalise_code("ABCD-EFGH-JKM0") is None  # 0 is not in the alphabet
    assert normalise_code("short") is None


def test_verification_page_valid_unknown_and_revoked(tmp_path, client, auth):
    certificate = _complete(tmp_path, name="Ŋuŋa Ɨñʉ")
    code = certificate.code
    page = client.get(f"/verify/{code.lower()}", headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Valid certificate" in html
    assert "Ŋuŋa Ɨñʉ" in html and "Innovación (en)" in html and "4 hours" in html
    unknown = client.get("/verify/ABCD-EFGH-JKMN", headers={"Accept-Language": "en"})
    assert unknown.status_code == 404 and "Unknown code" in unknown.get_data(as_text=True)
    assert client.get("/verify/not-a-code").status_code == 404
    typed = client.get(f"/verify?code={code}")
    assert typed.status_code == 302 and typed.headers["Location"].endswith(f"/verify/{code}")

    # Only admins revoke; the page then says so clearly.
    learner = make_user(locale="en")
    auth.login(learner.email)
    assert client.post(f"/admin/certificates/{code}/revoke", data={"reason": "x"}).status_code == 403
    auth.logout()
    admin = make_user("admin", locale="en")
    auth.login(admin.email)
    assert "Revoke this certificate" in client.get(f"/verify/{code}").get_data(as_text=True)
    response = client.post(
        f"/admin/certificates/{code}/revoke", data={"reason": "Identity fraud"}, follow_redirects=True
    )
    assert "is revoked" in response.get_data(as_text=True)
    auth.logout()
    html = client.get(f"/verify/{code}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "This certificate was revoked" in html and "Identity fraud" in html
    assert "Valid certificate" not in html


def test_verification_page_in_spanish(tmp_path, client):
    certificate = _complete(tmp_path)
    html = client.get(f"/verify/{certificate.code}", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert '<html lang="es">' in html


def _pdf_text(data: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(data))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


@pytest.mark.parametrize("name", NAMES)
def test_pdf_renders_any_name_with_an_embedded_font(tmp_path, app, name):
    certificate = _complete(tmp_path, name=name, locale="es")
    with app.test_request_context():
        data = render_pdf(certificate, f"https://frontera.example.org/verify/{certificate.code}")
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    reader, text = _pdf_text(data)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (842, 595)  # A4 landscape, in points
    assert name in text
    assert "Certificado de finalización" in text and "Innovación (es)" in text and certificate.code in text
    fonts = reader.pages[0]["/Resources"]["/Font"]
    for ref in fonts.values():
        font = ref.get_object()
        descendant = font["/DescendantFonts"][0].get_object()
        assert "/FontFile2" in descendant["/FontDescriptor"]  # the TrueType font is embedded
        assert "NotoSerif" in str(font["/BaseFont"])


def test_pdf_without_hours_leaves_them_out(tmp_path, app):
    certificate = _complete(tmp_path, hours=False)
    with app.test_request_context():
        _reader, text = _pdf_text(render_pdf(certificate, "https://x/verify"))
    assert "Study time" not in text and "Date:" in text


def test_only_the_holder_or_an_admin_downloads_the_pdf(tmp_path, client, auth):
    certificate = _complete(tmp_path, name="Ana")
    url = f"/my/certificates/{certificate.code}.pdf"
    holder = db.session.get(type(certificate.user), certificate.user_id)
    assert client.get(url).status_code == 302  # visitors sign in
    other = make_user()
    auth.login(other.email)
    assert client.get(url).status_code == 404
    auth.logout()
    auth.login(holder.email)
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    auth.logout()
    admin = make_user("admin")
    auth.login(admin.email)
    assert client.get(url).status_code == 200


def test_revoked_certificate_pdf_says_revoked_and_dashboard_hides_download(tmp_path, client, auth, app):
    certificate = _complete(tmp_path, locale="en")
    certificate.revoked_at = certificate.issued_at
    db.session.commit()
    with app.test_request_context():
        _reader, text = _pdf_text(render_pdf(certificate, "https://x/verify"))
    assert "REVOKED" in text
    auth.login(db.session.get(type(certificate.user), certificate.user_id).email)
    html = client.get("/my/courses").get_data(as_text=True)
    assert "was revoked" in html and ".pdf" not in html
