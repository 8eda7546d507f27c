"""Markdown from anyone becomes HTML that cannot run code."""
import pytest

from lms.content.markdown import render_markdown

HOSTILE = [
    ("<script>alert(1)</script>", "<script"),
    ('<img src="x" onerror="alert(1)">', "onerror"),
    ("[click](javascript:alert(1))", "javascript:"),
    ('<a href="JaVaScRiPt:alert(1)">x</a>', "javascript:"),
    ('<iframe src="https://evil.example"></iframe>', "<iframe"),
    ('<div style="background:url(javascript:alert(1))">x</div>', "style="),
    ('<svg onload="alert(1)"></svg>', "onload"),
    ("[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", "data:text/html"),
    ('<form action="https://evil.example"><input name=a></form>', "<form"),
]


@pytest.mark.parametrize(("source", "forbidden"), HOSTILE)
def test_hostile_markdown_is_neutralised(source, forbidden):
    assert forbidden.lower() not in render_markdown(source).lower()


def test_features_survive_sanitising():
    html = render_markdown(
        "## Título\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```\ncode\n```\n\nText[^1]\n\n[^1]: Note\n\n"
        "[link](https://example.org)")
    assert '<h2 id="titulo">Título</h2>' in html
    assert "<table>" in html and "<td>1</td>" in html
    assert "<pre><code>code" in html
    assert 'class="footnote' in html
    assert 'href="https://example.org"' in html and 'rel="noopener noreferrer nofollow"' in html


def test_lesson_page_does_not_execute_hostile_lesson(tmp_path, client):
    from factories import make_course
    make_course(tmp_path, "alpha", body='<script>alert("x")</script>\n\n<b onclick="x()">bold</b>\n')
    html = client.get("/courses/alpha/lessons/lesson-1-1").get_data(as_text=True)
    assert "<script>alert" not in html and "onclick" not in html
    assert "<b>bold</b>" in html
