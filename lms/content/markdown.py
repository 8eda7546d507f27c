"""The one path from Markdown (anyone's) to HTML that is safe to show."""
from __future__ import annotations

import nh3
from markupsafe import Markup

EXTENSIONS = ["tables", "fenced_code", "footnotes", "toc", "sane_lists"]
EXTENSION_CONFIGS = {"toc": {"permalink": False}}

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "div", "dl", "dt",
    "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "li",
    "ol", "p", "pre", "s", "small", "span", "strong", "sub", "sup", "table", "tbody", "td",
    "tfoot", "th", "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {
    "*": {"id", "title", "lang"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"align"},
    "th": {"align", "scope"},
    "ol": {"start"},
    "code": {"class"},
    "div": {"class"},
    "sup": {"class"},
    "li": {"class"},
}
URL_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text: str) -> Markup:
    """Markdown → HTML, then sanitised: no script, no event attributes, no
    `javascript:` links; raw HTML in the source is escaped or cleaned."""
    import markdown as md  # here, not at start: servers render stored HTML, rarely Markdown

    html = md.markdown(text or "", extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS,
                       output_format="html")
    clean = nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                      url_schemes=URL_SCHEMES, link_rel="noopener noreferrer nofollow",
                      strip_comments=True)
    return Markup(clean)  # noqa: S704 - sanitised just above
