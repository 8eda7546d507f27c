"""A readable, escaped HTML diff of two texts (difflib), for people, not patches."""
from __future__ import annotations

import difflib
import re

from flask_babel import gettext as _
from markupsafe import Markup, escape

CONTEXT = 3
_WORDS = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)


def _wrap(tag: str, text: str) -> Markup:
    return Markup(f"<{tag}>%s</{tag}>") % text if text else Markup("")


def _inline(old: str, new: str) -> tuple[Markup, Markup]:
    """The two versions of a changed line, with the changed words marked when
    the lines are alike, or whole when they are not."""
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.ratio() < 0.5:
        return _wrap("del", old), _wrap("ins", new)
    # Spaces alone between two changes belong to the change: "<del>a b</del>", not "<del>a</del> <del>b</del>".
    chunks: list[list] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        spaces_only = tag == "equal" and not "".join(a[i1:i2]).strip()
        if chunks and chunks[-1][0] != "equal" and (tag != "equal" or spaces_only):
            chunks[-1][1] += a[i1:i2]
            chunks[-1][2] += b[j1:j2]
        else:
            chunks.append([tag, a[i1:i2], b[j1:j2]])
    left, right = [], []
    for tag, old_tokens, new_tokens in chunks:
        old_part, new_part = "".join(old_tokens), "".join(new_tokens)
        if tag == "equal":
            left.append(escape(old_part))
            right.append(escape(new_part))
        else:
            left.append(_wrap("del", old_part))
            right.append(_wrap("ins", new_part))
    return Markup("").join(left), Markup("").join(right)


def diff_lines(old: str, new: str) -> list[tuple[str, int | None, int | None, Markup]]:
    """(kind, old line number, new line number, content) rows, kind being
    equal, delete, insert or skip (unchanged lines left out)."""
    a, b = (old or "").splitlines(), (new or "").splitlines()
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    rows: list[tuple[str, int | None, int | None, Markup]] = []
    for index, group in enumerate(matcher.get_grouped_opcodes(CONTEXT)):
        if index or (group and (group[0][1] > 0 or group[0][3] > 0)):
            rows.append(("skip", None, None, Markup("")))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                for offset in range(i2 - i1):
                    rows.append(("equal", i1 + offset + 1, j1 + offset + 1, escape(a[i1 + offset])))
                continue
            pairs = min(i2 - i1, j2 - j1) if tag == "replace" else 0
            deleted, inserted = [], []
            for offset in range(pairs):
                left, right = _inline(a[i1 + offset], b[j1 + offset])
                deleted.append(("delete", i1 + offset + 1, None, left))
                inserted.append(("insert", None, j1 + offset + 1, right))
            for offset in range(pairs, i2 - i1):
                deleted.append(("delete", i1 + offset + 1, None, _wrap("del", a[i1 + offset])))
            for offset in range(pairs, j2 - j1):
                inserted.append(("insert", None, j1 + offset + 1, _wrap("ins", b[j1 + offset])))
            rows.extend(deleted)
            rows.extend(inserted)
    return rows


def diff_table(old: str, new: str, old_label: str = "", new_label: str = "") -> Markup:
    """An HTML table: removed lines with <del>, added lines with <ins>, all text escaped."""
    rows = diff_lines(old, new)
    caption = Markup('<caption>%s</caption>') % (
        _("Changes from %(old)s to %(new)s", old=old_label, new=new_label) if old_label or new_label
        else _("Changes"))
    if not rows:
        return Markup('<p class="diff-none">%s</p>') % _("No differences.")
    marks = {"delete": "−", "insert": "+", "equal": "", "skip": "…"}
    body = []
    for kind, old_no, new_no, content in rows:
        body.append(Markup('<tr class="diff-%s"><td class="diff-no">%s</td><td class="diff-no">%s</td>'
                           '<td class="diff-mark" aria-hidden="true">%s</td><td class="diff-text">%s</td></tr>')
                    % (kind, old_no or "", new_no or "", marks[kind], content))
    head = Markup('<thead><tr><th scope="col">%s</th><th scope="col">%s</th><th scope="col">'
                  '<span class="visually-hidden">%s</span></th><th scope="col">%s</th></tr></thead>') % (
        _("Before"), _("After"), _("Change"), _("Text"))
    return Markup('<table class="diff">') + caption + head + Markup("<tbody>") + Markup("").join(body) \
        + Markup("</tbody></table>")


def compared(numbers: list[int], old: int | None, new: int | None) -> tuple[int | None, int | None]:
    """The two revisions a history page compares: those asked for (`old`, `new`)
    when they exist, else the newest of `numbers` (newest first) and the one
    before it."""
    if new not in numbers:
        new = numbers[0] if numbers else None
    if old not in numbers:
        older = [n for n in numbers if new is not None and n < new]
        old = older[0] if older else None
    return old, new
