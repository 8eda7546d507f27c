"""Files attached to requests and replies.

The type is decided by the file's content (magic bytes), never by the name or
the browser's claim, and must agree with the extension; files are stored
under UPLOADS_PATH/advice with a random name, and served only as downloads.
"""
from __future__ import annotations

import hashlib
import io
import os
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from lms.advice.transitions import TransitionError

# extension -> content type stored and sent
ALLOWED = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "txt": "text/plain",
    "csv": "text/csv",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}
ALLOWED_LABEL = "PDF, PNG, JPEG, TXT, CSV, DOCX, XLSX, PPTX, ODT, ODS"


class AttachmentError(TransitionError):
    def __init__(self, message):
        super().__init__(message, code="attachment")


@dataclass
class Upload:
    filename: str
    data: bytes


@dataclass
class Stored:
    filename: str
    stored_name: str
    content_type: str
    size: int
    sha256: str


def detect(data: bytes) -> set[str]:
    """The extensions the content is compatible with (empty: refused)."""
    if data.startswith(b"%PDF-"):
        return {"pdf"}
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return {"png"}
    if data.startswith(b"\xff\xd8\xff"):
        return {"jpg", "jpeg"}
    if data.startswith(b"PK\x03\x04"):
        return _office_kind(data)
    if _is_text(data):
        return {"txt", "csv"}
    return set()


def _office_kind(data: bytes) -> set[str]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                mimetype = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
                return {ext for ext in ("odt", "ods") if ALLOWED[ext] == mimetype}
            if "[Content_Types].xml" in names:
                if any(name.startswith("word/") for name in names):
                    return {"docx"}
                if any(name.startswith("xl/") for name in names):
                    return {"xlsx"}
                if any(name.startswith("ppt/") for name in names):
                    return {"pptx"}
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        return set()
    return set()


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    # Markup would be rendered by some viewers: refuse what looks like HTML or SVG.
    head = text[:1024].lstrip().lower()
    return not head.startswith(("<!doctype", "<html", "<svg", "<?xml", "<script"))


def clean_filename(name: str) -> str:
    name = unicodedata.normalize("NFC", os.path.basename((name or "").replace("\\", "/")))
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>:/\\|?*;')
    return name.strip(" .")[:150] or "file"


def validate(upload: Upload) -> str:
    """The content type to store, or AttachmentError."""
    max_bytes = current_app.config["ADVICE_ATTACHMENT_MAX_BYTES"]
    name = clean_filename(upload.filename)
    if len(upload.data) == 0:
        raise AttachmentError(_l("The file “%(name)s” is empty.", name=name))
    if len(upload.data) > max_bytes:
        raise AttachmentError(_l("The file “%(name)s” is larger than %(size)s MB.", name=name,
                                 size=max_bytes // (1024 * 1024)))
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ALLOWED:
        raise AttachmentError(_l("Files of this type cannot be attached: “%(name)s”. Allowed: %(types)s.",
                                 name=name, types=ALLOWED_LABEL))
    if extension not in detect(upload.data):
        raise AttachmentError(_l("The content of “%(name)s” does not match its type.", name=name))
    return ALLOWED[extension]


def validate_all(uploads: list[Upload]) -> list[str]:
    limit = current_app.config["ADVICE_MAX_ATTACHMENTS"]
    if len(uploads) > limit:
        raise AttachmentError(_l("Attach at most %(count)d files at a time.", count=limit))
    return [validate(upload) for upload in uploads]


def folder() -> Path:
    return Path(current_app.config["UPLOADS_PATH"]) / "advice"


def path_of(stored_name: str) -> Path:
    # stored_name is ours (hex); the check is a second lock on the door.
    if not stored_name.isalnum():
        raise ValueError("bad stored name")
    return folder() / stored_name[:2] / stored_name


def store(upload: Upload, content_type: str) -> Stored:
    stored_name = secrets.token_hex(20)
    target = path_of(stored_name)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(".part")
    temporary.write_bytes(upload.data)
    temporary.replace(target)
    return Stored(clean_filename(upload.filename), stored_name, content_type, len(upload.data),
                  hashlib.sha256(upload.data).hexdigest())


def discard(stored: list[Stored]) -> None:
    """Remove files written for a transaction that did not commit."""
    for item in stored:
        try:
            path_of(item.stored_name).unlink(missing_ok=True)
        except OSError:
            pass
