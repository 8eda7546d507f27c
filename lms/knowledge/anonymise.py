"""Remove what identifies a person from a text that is about to be published.

A first pass for the editor, not a guarantee: the entry stays a draft until a
person has read it and confirmed that nothing identifying is left.
"""
from __future__ import annotations

import re

MARK = "[…]"
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Seven or more digits, possibly with spaces, dots, dashes, brackets or a leading +.
PHONE = re.compile(r"(?<![\w])\+?\d[\d\s().-]{5,}\d(?![\w])")
URL_WITH_PERSON = re.compile(r"https?://(?:www\.)?(?:facebook|linkedin|instagram|twitter|x|wa\.me)\S*", re.I)


def anonymise(text: str, names: list[str]) -> str:
    text = EMAIL.sub(MARK, text or "")
    text = URL_WITH_PERSON.sub(MARK, text)
    text = PHONE.sub(lambda match: MARK if sum(ch.isdigit() for ch in match.group()) >= 7 else match.group(),
                     text)
    parts: set[str] = set()
    for name in names:
        if name and name.strip():
            parts.add(name.strip())
            parts.update(part for part in re.split(r"\s+", name.strip()) if len(part) >= 3)
    for part in sorted(parts, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(part)}(?!\w)", MARK, text, flags=re.IGNORECASE)
    return text
