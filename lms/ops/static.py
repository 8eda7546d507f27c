"""Static files under fingerprinted names, with cache lifetimes to match.

`static_url("css/site.css")` (a Jinja global) gives
`/static/css/site.<hash>.css`, the hash being the first 12 hex digits of the
file's SHA-256. A browser or proxy may keep such a URL for a year
(`immutable`): a changed file gets a new name. The plain name still works and
is served with `Cache-Control: no-cache` (revalidated with ETag /
Last-Modified on every use); so is an old fingerprint after a deploy changed
the file, so a page cached before the deploy still finds its styles.

In production nginx serves these names itself (docs/deploy.md); this view is
the fallback for development and for a single process without a proxy.
Hashes are computed once per process and file (a deploy restarts the
processes); in development and debug mode, again whenever the file's
modification time changes.
"""
from __future__ import annotations

import hashlib
import os
import re

from flask import Flask, current_app, url_for

FINGERPRINT_LENGTH = 12
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
_FINGERPRINTED = re.compile(
    r"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{%d})(?P<ext>\.[A-Za-z0-9]+)$" % FINGERPRINT_LENGTH)

_hashes: dict[str, tuple[float, str]] = {}


def _path(app: Flask, filename: str) -> str | None:
    folder = app.static_folder
    if folder is None:
        return None
    path = os.path.realpath(os.path.join(folder, filename))
    if not path.startswith(os.path.realpath(folder) + os.sep) or not os.path.isfile(path):
        return None
    return path


def file_hash(filename: str, app: Flask | None = None) -> str | None:
    """The fingerprint of a static file, or None if there is no such file."""
    app = app or current_app
    cached = _hashes.get(filename)
    if cached is not None and not (app.debug or app.config.get("ENV_NAME") == "development"):
        return cached[1]
    path = _path(app, filename)
    if path is None:
        return None
    mtime = os.stat(path).st_mtime
    if cached is not None and cached[0] == mtime:
        return cached[1]
    with open(path, "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()[:FINGERPRINT_LENGTH]
    _hashes[filename] = (mtime, digest)
    return digest


def fingerprinted(filename: str, digest: str) -> str:
    stem, dot, ext = filename.rpartition(".")
    if not dot or "/" in ext:
        return f"{filename}.{digest}"
    return f"{stem}.{digest}.{ext}"


def static_url(filename: str, **kwargs) -> str:
    """The URL of a static file under its fingerprinted name (plain if the file is missing)."""
    digest = file_hash(filename)
    name = fingerprinted(filename, digest) if digest else filename
    return url_for("static", filename=name, **kwargs)


def _split(filename: str) -> tuple[str, str | None]:
    """("css/site.css", "0123abcd4567") for "css/site.0123abcd4567.css"."""
    match = _FINGERPRINTED.match(filename)
    if match is None:
        return filename, None
    return match.group("stem") + match.group("ext"), match.group("hash")


def init_app(app: Flask) -> None:
    app.jinja_env.globals["static_url"] = static_url
    plain_view = app.view_functions.get("static")
    if plain_view is None:
        return

    def static(filename: str):
        real, digest = _split(filename)
        if digest is not None and _path(app, real) is None:
            real, digest = filename, None  # a file whose own name looks fingerprinted
        response = plain_view(filename=real)  # 404 for a missing file, 304 when unchanged
        current = file_hash(real, app) if digest else None
        if digest is not None and digest == current:
            response.headers["Cache-Control"] = IMMUTABLE
        else:
            response.headers["Cache-Control"] = REVALIDATE
        return response

    app.view_functions["static"] = static
