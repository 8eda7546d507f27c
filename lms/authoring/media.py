"""Images for lessons: checked on their content, resized for slow links,
stored under UPLOADS_PATH with content-hash names.

An upload is accepted only when its first bytes are those of a PNG, JPEG,
WebP or GIF *and* Pillow decodes it as that same format; it is then
re-encoded (which also drops metadata such as GPS positions) at most
MEDIA_MAX_WIDTH pixels wide, with a MEDIA_SMALL_WIDTH variant.
"""
from __future__ import annotations

import hashlib
import io
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

from typing import TYPE_CHECKING

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.utils import secure_filename

from lms.authoring.models import MediaFile
from lms.authoring.revisions import AuthoringError
from lms.extensions import db

if TYPE_CHECKING:
    from PIL import Image


def _pil():
    """Pillow, imported when an image is processed (not in every server process at start)."""
    from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

    return Image, ImageOps, ImageSequence, UnidentifiedImageError

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_MAX_WIDTH = 1200
DEFAULT_SMALL_WIDTH = 480
MAX_PIXELS = 40_000_000  # refuse decompression bombs long before they fill memory
ALT_MAX = 300

# format -> (extension, content type)
FORMATS = {
    "PNG": ("png", "image/png"),
    "JPEG": ("jpg", "image/jpeg"),
    "WEBP": ("webp", "image/webp"),
    "GIF": ("gif", "image/gif"),
}
CONTENT_TYPES = {ext: content_type for ext, content_type in FORMATS.values()}
NAME_RE = re.compile(r"^[0-9a-f]{64}\.(png|jpg|webp|gif)$")


def sniff(head: bytes) -> str | None:
    """The image format the first bytes announce, or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "GIF"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return None


@dataclass
class Processed:
    format: str
    full: bytes
    small: bytes
    width: int
    height: int


def _config(name: str, default: int) -> int:
    return int(current_app.config.get(name, default))


def _decode(data: bytes, expected: str) -> Image.Image:
    Image, _ops, _sequence, UnidentifiedImageError = _pil()
    refused = AuthoringError(_l("This file is not a PNG, JPEG, WebP or GIF image."), "image")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format != expected:
                    raise refused
                if probe.width * probe.height > MAX_PIXELS:
                    raise AuthoringError(_l("This image has too many pixels."), "image")
                probe.verify()
            image = Image.open(io.BytesIO(data))
            image.load()
        except AuthoringError:
            raise
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
                Image.DecompressionBombWarning, EOFError):
            raise refused from None
    return image


def _resize(image: Image.Image, width: int) -> Image.Image:
    if image.width <= width:
        return image.copy()
    height = max(1, round(image.height * width / image.width))
    return image.resize((width, height), _pil()[0].Resampling.LANCZOS)


def _encode(image: Image.Image, fmt: str, width: int) -> tuple[bytes, int, int]:
    out = io.BytesIO()
    if fmt == "GIF" and getattr(image, "is_animated", False):
        frames = [_resize(frame.convert("RGBA"), width) for frame in _pil()[2].Iterator(image)]
        frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], loop=image.info.get("loop", 0),
                       duration=image.info.get("duration", 100), disposal=2)
        return out.getvalue(), frames[0].width, frames[0].height
    resized = _resize(image, width)
    if fmt == "JPEG":
        if resized.mode not in ("RGB", "L"):
            resized = resized.convert("RGB")
        resized.save(out, format="JPEG", quality=82, optimize=True, progressive=True)
    elif fmt == "WEBP":
        resized.save(out, format="WEBP", quality=80, method=4)
    elif fmt == "PNG":
        resized.save(out, format="PNG", optimize=True)
    else:
        resized.save(out, format="GIF")
    return out.getvalue(), resized.width, resized.height


def size_label(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{round(size / 1024 / 1024, 1):g} MB"
    return f"{round(size / 1024)} KB"


def process(data: bytes) -> Processed:
    """Check and re-encode an upload; raises AuthoringError(field="image")."""
    if not data:
        raise AuthoringError(_l("Choose an image file."), "image")
    limit = _config("MEDIA_MAX_BYTES", DEFAULT_MAX_BYTES)
    if len(data) > limit:
        raise AuthoringError(_l("The image is larger than %(size)s.", size=size_label(limit)), "image")
    fmt = sniff(data[:16])
    if fmt is None:
        raise AuthoringError(_l("This file is not a PNG, JPEG, WebP or GIF image."), "image")
    image = _decode(data, fmt)
    if fmt != "GIF":
        image = _pil()[1].exif_transpose(image)  # photos taken sideways stay upright once EXIF is dropped
    max_width = _config("MEDIA_MAX_WIDTH", DEFAULT_MAX_WIDTH)
    full, width, height = _encode(image, fmt, max_width)
    small, _w, _h = _encode(image, fmt, min(max_width, _config("MEDIA_SMALL_WIDTH", DEFAULT_SMALL_WIDTH)))
    return Processed(fmt, full, small, width, height)


def uploads_path() -> Path:
    return Path(current_app.config["UPLOADS_PATH"])


def _write(data: bytes, ext: str) -> str:
    name = f"{hashlib.sha256(data).hexdigest()}.{ext}"
    folder = uploads_path()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    if not target.exists():
        temporary = folder / f".{name}.{os.getpid()}.tmp"
        temporary.write_bytes(data)
        os.replace(temporary, target)  # atomic: a reader never sees half a file
    return name


def clean_alt(alt: str | None) -> str:
    alt = " ".join((alt or "").split())
    # Brackets would end the Markdown image syntax early.
    return alt.replace("[", "(").replace("]", ")")[:ALT_MAX]


def save_image(course, user, data: bytes, filename: str, alt: str) -> MediaFile:
    """Check, resize and store an image for a course's lessons."""
    alt = clean_alt(alt)
    if not alt:
        raise AuthoringError(_l("Describe the image for people who cannot see it (alternative text)."), "alt")
    processed = process(data)
    ext, content_type = FORMATS[processed.format]
    name = _write(processed.full, ext)
    small_name = _write(processed.small, ext)
    existing = db.session.scalar(select(MediaFile).where(MediaFile.course_id == course.id, MediaFile.name == name))
    if existing is not None:
        return existing
    media = MediaFile(course_id=course.id, name=name, small_name=small_name, content_type=content_type,
                      width=processed.width, height=processed.height, size=len(processed.full),
                      original_filename=(secure_filename(filename or "") or "image")[:200], alt_text=alt,
                      uploaded_by_id=user.id)
    db.session.add(media)
    try:
        db.session.commit()
    except IntegrityError:  # the same image sent twice at once
        db.session.rollback()
        return db.session.scalar(select(MediaFile).where(MediaFile.course_id == course.id,
                                                         MediaFile.name == name))
    return media


def course_media(course) -> list[MediaFile]:
    return list(db.session.scalars(select(MediaFile).where(MediaFile.course_id == course.id)
                                   .order_by(MediaFile.created_at.desc(), MediaFile.id.desc())).all())


def media_url(name: str) -> str:
    return url_for("authoring.media_file", name=name)


def markdown_for(media: MediaFile, alt: str | None = None) -> str:
    return f"![{clean_alt(alt) or media.alt_text}]({media_url(media.name)})"


def stored_file(name: str) -> Path | None:
    """The stored file for a public name, or None (names are checked, never trusted)."""
    if not NAME_RE.match(name or ""):
        return None
    path = uploads_path() / name
    return path if path.is_file() else None
