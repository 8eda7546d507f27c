"""The catalog, course pages, lesson reading and enrolment, as a reader meets them."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from lms.catalog.models import Enrolment
from lms.content.importer import import_courses
from lms.extensions import db
from factories import make_course, make_user, write_course


def titles(html: str) -> list[str]:
    return re.findall(r'<h3><a href="/courses/[^"]+"[^>]*>([^<]+)</a></h3>', html)


def test_catalog_lists_courses_in_reader_language(tmp_path, client):
    make_course(tmp_path, "alpha", title="Alfa")
    html = client.get("/courses", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert titles(html) == ["Alfa (en)"]
    html = client.get("/courses", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert titles(html) == ["Alfa (es)"]


def test_catalog_filters_by_tags(tmp_path, client):
    write_course(tmp_path, "cocoa-course", title="Cocoa", tags='regions = ["pe-co"]\nvalue_chains = ["cocoa"]\ntopics = ["value-chains"]')
    write_course(tmp_path, "tourism-course", title="Tourism", tags='regions = ["pe-cl"]\nvalue_chains = ["tourism"]\ntopics = ["value-chains"]')
    write_course(tmp_path, "s3-course", title="S3", tags='regions = ["pe-cl", "mx-gt"]\ntopics = ["smart-specialisation"]')
    import_courses(tmp_path)
    en = {"Accept-Language": "en"}
    assert titles(client.get("/courses?region=pe-cl", headers=en).get_data(as_text=True)) == ["S3 (en)", "Tourism (en)"]
    assert titles(client.get("/courses?value_chain=cocoa", headers=en).get_data(as_text=True)) == ["Cocoa (en)"]
    assert titles(client.get("/courses?topic=value-chains&region=pe-cl", headers=en).get_data(as_text=True)) == ["Tourism (en)"]
    html = client.get("/courses?region=ec-co", headers=en).get_data(as_text=True)
    assert titles(html) == [] and "No course matches" in html
    # The filter lists offer only codes that courses use.
    assert 'value="pe-co"' in html and 'value="ec-co"' not in html


def test_catalog_search_ignores_accents_and_case(tmp_path, client):
    write_course(tmp_path, "energy", title="Energía solar")
    write_course(tmp_path, "other", title="Turismo")
    import_courses(tmp_path)
    es = {"Accept-Language": "es"}
    for query in ("energia", "ENERGÍA", "energía  solar", "Lesson 1.1"):
        found = titles(client.get("/courses", query_string={"query": query}, headers=es).get_data(as_text=True))
        expected = ["Energía solar (es)"] if query != "Lesson 1.1" else ["Energía solar (es)", "Turismo (es)"]
        assert found == expected, query
    # LIKE wildcards typed by a person are literal text.
    assert titles(client.get("/courses?query=%25", headers=es).get_data(as_text=True)) == []


def test_language_filter_and_badges_show_complete_languages(tmp_path, client):
    write_course(tmp_path, "both", title="Both")
    write_course(tmp_path, "spanish-only", title="Solo", lesson_languages=("es",))
    import_courses(tmp_path)
    en = {"Accept-Language": "en"}
    assert titles(client.get("/courses?language=en", headers=en).get_data(as_text=True)) == ["Both (en)"]
    assert titles(client.get("/courses?language=es", headers=en).get_data(as_text=True)) == ["Both (en)", "Solo (en)"]
    page = client.get("/courses/spanish-only", headers=en).get_data(as_text=True)
    languages = re.search(r'<p class="languages">(.*?)</p>', page, re.S).group(1)
    assert "Español" in languages and "English" not in languages


def test_lesson_only_in_other_language_shows_notice(tmp_path, client):
    make_course(tmp_path, "solo", lesson_languages=("es",))
    html = client.get("/courses/solo/lessons/lesson-1-1", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Lesson 1.1 text in es." in html
    assert "not yet available in your language; it is shown in Spanish" in html
    assert '<article class="lesson" lang="es">' in html
    same = client.get("/courses/solo/lessons/lesson-1-1", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert 'class="notice"' not in same


def test_lesson_page_has_outline_and_previous_next(tmp_path, client):
    make_course(tmp_path, "alpha", modules=2, lessons=2)
    html = client.get("/courses/alpha/lessons/lesson-1-2", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'rel="prev" href="/courses/alpha/lessons/lesson-1-1"' in html
    assert 'rel="next" href="/courses/alpha/lessons/lesson-2-1"' in html
    assert '<span aria-current="page" class="current">Lesson 1.2 (en)</span>' in html
    assert html.count('href="/courses/alpha/lessons/') == 3 + 2  # outline (others) + pager
    first = client.get("/courses/alpha/lessons/lesson-1-1").get_data(as_text=True)
    assert 'rel="prev"' not in first


def test_unknown_course_and_lesson_are_404(tmp_path, client):
    make_course(tmp_path, "alpha")
    assert client.get("/courses/nope").status_code == 404
    assert client.get("/courses/alpha/lessons/nope").status_code == 404


def test_enrolment_records_once_and_shows_in_my_courses(tmp_path, client, auth):
    make_course(tmp_path, "alpha", title="Alfa")
    learner = make_user(locale="en")
    auth.login(learner.email)
    first = client.post("/courses/alpha/enrol", data={}, follow_redirects=True)
    assert "You are enrolled" in first.get_data(as_text=True)
    again = client.post("/courses/alpha/enrol", data={}, follow_redirects=True)
    assert "already enrolled" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Enrolment.id))) == 1
    page = client.get("/my/courses").get_data(as_text=True)
    assert "Alfa (en)" in page
    course_page = client.get("/courses/alpha").get_data(as_text=True)
    assert "Enrol in this course" not in course_page and "You are enrolled since" in course_page


def test_visitors_must_sign_in_to_enrol(tmp_path, client):
    make_course(tmp_path, "alpha")
    page = client.get("/courses/alpha").get_data(as_text=True)
    assert "/account/login?next=/courses/alpha" in page
    response = client.post("/courses/alpha/enrol", data={})
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    assert db.session.scalar(select(func.count(Enrolment.id))) == 0


def test_my_courses_are_private(tmp_path, client, auth):
    make_course(tmp_path, "alpha", title="Alfa")
    from lms.catalog.service import enrol
    from lms.content.models import Course
    other = make_user()
    enrol(other.id, db.session.scalar(select(Course)))
    me = make_user(locale="en")
    auth.login(me.email)
    assert "Alfa" not in client.get("/my/courses").get_data(as_text=True)


def _seed_courses(root, count):
    for n in range(count):
        write_course(root, f"course-{n:03d}", modules=1, lessons=2,
                     tags='regions = ["pe-cl"]\nvalue_chains = ["cocoa"]\ntopics = ["innovation"]')
    import_courses(root)


def test_catalog_and_lesson_query_counts_do_not_grow(tmp_path, client, count_queries, auth):
    learner = make_user()
    auth.login(learner.email)
    counts, again = {}, {}
    for size, root in ((5, tmp_path / "small"), (200, tmp_path / "large")):
        _seed_courses(root, size)
        pages = {"catalog": "/courses", "filtered": "/courses?region=pe-cl&query=course",
                 "course": "/courses/course-003", "lesson": "/courses/course-003/lessons/lesson-1-2",
                 "home": "/", "my": "/my/courses"}
        counts[size], again[size] = {}, {}
        for name, url in pages.items():
            with count_queries() as queries:
                assert client.get(url).status_code == 200, url
            counts[size][name] = len(queries)
            # The same page again: the catalog's cards, the filter lists and the
            # lesson's content are kept per content version (lms.content.version).
            with count_queries() as queries:
                assert client.get(url).status_code == 200, url
            again[size][name] = len(queries)
    assert counts[5] == counts[200], counts
    assert again[5] == again[200], again
    # Signed in: the content stamp, then the person with the unread-notification
    # count (one query); the lesson page also records the visit (a read and an
    # upsert) and reads glossary and knowledge links.
    assert counts[200]["catalog"] <= 6 and counts[200]["lesson"] <= 11, counts
    # Kept: the catalog costs the stamp and the person; the lesson also reads the
    # learner's progress (a visit within minutes writes nothing).
    assert again[200]["catalog"] <= 2 and again[200]["filtered"] <= 2, again
    assert again[200]["lesson"] <= 3, again


def test_lesson_page_offers_to_ask_an_expert_about_it(tmp_path, client):
    make_course(tmp_path, "alpha")
    html = client.get("/courses/alpha/lessons/lesson-1-1", headers={"Accept-Language": "en"}).get_data(as_text=True)
    link = re.search(r'<a href="(/advice/[^"]*\?lesson=\d+)">Ask an expert about this lesson</a>', html)
    assert link, "the lesson page should link to a request form about this lesson"
