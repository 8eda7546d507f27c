"""Certificates: issued on course completion, verified by code, printed as PDF.

A certificate keeps the texts it was issued with (the holder's name, the
course title in the holder's language, the stated hours), so a later rename
of the course does not change what was certified. Admins may revoke one; the
public verification page then says so clearly.

The PDF is set in Noto Serif (SIL Open Font License 1.1, shipped by the
PyPI package `fontpkg-noto-serif`), which covers Latin with every accent and
the extended letters of indigenous orthographies (ŋ, ɨ, ʉ, ꞌ ...). The font
is embedded (subset) in the file, so the name prints as written on any
computer. The font file is a variable font; fpdf2 embeds its default
instance (Regular); headings are emboldened by stroking the outline, which
avoids instancing the font on every request (several seconds).
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from flask_babel import force_locale, format_date, format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.auth.models import User
from lms.content.models import Course, CourseText
from lms.extensions import db
from lms.i18n import pick
from lms.progress.models import Certificate
from lms.progress.sql import upsert
from lms.timeutil import utcnow

# fpdf2 subsets the font with fontTools, which logs every table it prunes.
logging.getLogger("fontTools").setLevel(logging.WARNING)

# No 0/O, 1/I/L: codes are read aloud and typed from paper.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_GROUPS, CODE_GROUP_LENGTH = 3, 4


class CertificateError(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUPS * CODE_GROUP_LENGTH))
    return format_code(raw)


def format_code(raw: str) -> str:
    return "-".join(raw[i : i + CODE_GROUP_LENGTH] for i in range(0, len(raw), CODE_GROUP_LENGTH))


def normalise_code(code: str) -> str | None:
    """What a person typed ("abcd efgh-jkmn") as stored ("ABCD-EFGH-JKMN"), or None if it cannot be one."""
    raw = re.sub(r"[\s\-]", "", code or "").upper()
    if len(raw) != CODE_GROUPS * CODE_GROUP_LENGTH or any(ch not in CODE_ALPHABET for ch in raw):
        return None
    return format_code(raw)


def issue_certificates(course_id: int, user_ids: list[int], *, now: datetime | None = None) -> list[str]:
    """Certificates for these learners of a completed course, where they have none.

    Three or four queries for any number of learners; does not commit.
    Returns the codes issued.
    """
    now = now or utcnow()
    have = set(
        db.session.scalars(
            select(Certificate.user_id).where(
                Certificate.course_id == course_id, Certificate.user_id.in_(user_ids)
            )
        ).all()
    )
    wanted = [user_id for user_id in user_ids if user_id not in have]
    if not wanted:
        return []
    course = db.session.get(Course, course_id)
    titles = {
        text.language: text.title
        for text in db.session.scalars(select(CourseText).where(CourseText.course_id == course_id)).all()
    }
    people = db.session.execute(select(User.id, User.name, User.locale).where(User.id.in_(wanted))).all()
    rows = []
    for user_id, name, locale in people:
        title, _language = pick(titles, locale)
        rows.append(
            {
                "code": new_code(),
                "user_id": user_id,
                "course_id": course_id,
                "language": locale,
                "holder_name": name,
                "course_title": title or course.slug,
                "hours": course.hours,
                "issued_at": now,
            }
        )
    if rows:
        # A concurrent completion of the same learner issues one certificate, not two.
        db.session.execute(upsert(Certificate).on_conflict_do_nothing(), rows)
    return [row["code"] for row in rows]


def find(code: str) -> Certificate | None:
    normalised = normalise_code(code)
    if normalised is None:
        return None
    return db.session.scalar(select(Certificate).where(Certificate.code == normalised))


def for_owner(code: str, user) -> Certificate | None:
    """The certificate when `user` holds it or is an admin; None otherwise (shown as 404)."""
    certificate = find(code)
    if certificate is None:
        return None
    if certificate.user_id != user.id and not user.has_role("admin"):
        return None
    return certificate


def revoke(code: str, reason: str, by) -> Certificate:
    """Admins only (checked by the view's role and here). Revoking twice keeps the first date."""
    if not by.has_role("admin"):
        raise CertificateError(_l("Only administrators may revoke certificates."))
    certificate = find(code)
    if certificate is None:
        raise CertificateError(_l("No certificate has this code."))
    if certificate.revoked_at is None:
        certificate.revoked_at = utcnow()
        certificate.revoked_reason = (reason or "").strip()[:500] or None
    db.session.commit()
    return certificate


# PDF --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FontFiles:
    serif: str


@lru_cache(maxsize=1)
def font_files() -> FontFiles:
    import fontpkg

    return FontFiles(serif=str(fontpkg.path("Noto Serif")))


def render_pdf(certificate: Certificate, verify_url: str) -> bytes:
    """The certificate as an A4 landscape PDF in the certificate's language."""
    from fpdf import FPDF
    from fpdf.enums import TextMode

    with force_locale(certificate.language):
        texts = {
            "heading": _("Certificate of completion"),
            "certifies": _("This certifies that"),
            "completed": _("has completed the course"),
            "date": _("Date: %(date)s", date=format_date(certificate.issued_at, format="long")),
            "hours": (
                _("Study time: %(hours)s hours", hours=format_decimal(certificate.hours))
                if certificate.hours
                else ""
            ),
            "code": _("Verification code: %(code)s", code=certificate.code),
            "verify": _("Check this certificate at %(url)s", url=verify_url),
            "revoked": _("REVOKED") if certificate.revoked else "",
        }

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_title(f"{texts['heading']}: {certificate.holder_name}")
    pdf.set_author("Frontera")
    pdf.set_creator("Frontera")
    pdf.set_lang(certificate.language)
    pdf.set_auto_page_break(False)
    pdf.add_font("NotoSerif", "", font_files().serif)
    pdf.add_page()
    width, height = pdf.w, pdf.h  # 297 x 210 mm

    # A double frame in the brand colour, inside the printable area of any printer.
    pdf.set_draw_color(11, 93, 75)
    pdf.set_line_width(1.2)
    pdf.rect(12, 12, width - 24, height - 24)
    pdf.set_line_width(0.4)
    pdf.rect(16, 16, width - 32, height - 32)

    def fitting(text: str, size: float, smallest: float) -> float:
        # A long name or title gets a smaller size before it would wrap.
        pdf.set_font("NotoSerif", "", size)
        while size > smallest and pdf.get_string_width(text) > width - 56:
            size -= 1
            pdf.set_font("NotoSerif", "", size)
        return size

    def line(text: str, size: float, y: float, bold: bool = False, colour=(27, 31, 36)) -> None:
        pdf.set_font("NotoSerif", "", size)
        pdf.set_text_color(*colour)
        if bold:
            pdf.text_mode = TextMode.FILL_STROKE
            pdf.set_draw_color(*colour)
            pdf.set_line_width(size * 0.012)
        pdf.set_xy(24, y)
        pdf.multi_cell(width - 48, size * 0.45, text, align="C")
        pdf.text_mode = TextMode.FILL

    line("Frontera", 16, 26, bold=True, colour=(11, 93, 75))
    line(texts["heading"], 30, 42, bold=True)
    line(texts["certifies"], 15, 68, colour=(74, 85, 96))
    line(certificate.holder_name, fitting(certificate.holder_name, 34, 18), 80, bold=True, colour=(7, 70, 58))
    line(texts["completed"], 15, 104, colour=(74, 85, 96))
    line(certificate.course_title, fitting(certificate.course_title, 22, 16), 116, bold=True)
    details = texts["date"] + (f"    ·    {texts['hours']}" if texts["hours"] else "")
    line(details, 13, 150)
    line(texts["code"], 12, 170, colour=(74, 85, 96))
    line(texts["verify"], 10, 178, colour=(74, 85, 96))
    if texts["revoked"]:
        line(texts["revoked"], 18, 186, bold=True, colour=(164, 22, 26))
    return bytes(pdf.output())
