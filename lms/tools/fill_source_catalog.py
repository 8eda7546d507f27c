"""Fill the English catalog from the message ids.

The interface is written in English, so an English translation is the id
itself; filling it keeps the "every catalog complete" check meaningful for
Spanish, where a person must translate.
Usage: python -m lms.tools.fill_source_catalog translations/en/LC_MESSAGES/messages.po
"""
from __future__ import annotations

import sys

from babel.messages.pofile import read_po, write_po


def fill(path: str) -> int:
    with open(path, "rb") as handle:
        catalog = read_po(handle, locale="en")
    filled = 0
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            if not all(message.string):
                message.string = tuple(message.id)
                filled += 1
        elif not message.string:
            message.string = message.id
            filled += 1
        message.flags.discard("fuzzy")
    with open(path, "wb") as handle:
        write_po(handle, catalog, sort_output=True, width=0)
    return filled


if __name__ == "__main__":
    for target in sys.argv[1:]:
        print(f"{target}: {fill(target)} English strings filled from their ids")
