"""Safe handling of URLs that come from the request."""
from __future__ import annotations

import re
from urllib.parse import urlsplit


def safe_next(target: str | None, default: str) -> str:
    """Only a path on this site: never another host, scheme or `//host`."""
    if not target:
        return default
    target = target.strip().replace("\\", "/")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if any(ord(ch) < 32 for ch in target):
        return default
    return target


def page_number(value: str | None) -> int:
    """?page= as a number for a service that clamps it to the pages there are:
    nonsense (letters, other scripts' digits, fractions) and negative numbers
    are 1, numbers too long to matter 10**9 (the last page)."""
    found = re.fullmatch(r"\s*([+-]?)0*(\d{1,18})\s*", value or "", re.ASCII)
    if found is None:
        return 10**9 if re.fullmatch(r"\s*\+?\d+\s*", value or "", re.ASCII) else 1
    return 1 if found.group(1) == "-" else max(1, min(int(found.group(2)), 10**9))
