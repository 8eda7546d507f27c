"""Editor and dashboard pages load in a fixed number of queries, whatever the
size of the course and its history."""
from __future__ import annotations

from authoring_support import authored_course, editor_fields
from factories import make_user

PAGES = {
    "overview": "/author/courses/{slug}",
    "translations": "/author/courses/{slug}/translations",
    "settings": "/author/courses/{slug}/settings",
    "module": "/author/courses/{slug}/modules/module-1",
    "lesson": "/author/courses/{slug}/lessons/lesson-1-1",
    "history": "/author/courses/{slug}/history/lesson/lesson-1-1/en",
    "index": "/author",
    "quiz": "/author/courses/{slug}/modules/module-1/quiz",
    "question": "/author/courses/{slug}/modules/module-1/quiz/questions/capital",
    "quiz_history": "/author/courses/{slug}/modules/module-1/quiz/history",
}


def _grow_history(client, slug: str, saves: int) -> None:
    url = f"/author/courses/{slug}/lessons/lesson-1-1"
    for n in range(saves):
        fields = editor_fields(client.get(url))
        client.post(url, data={**fields, "text_es": f"Versión {n}.", "text_en": f"Version {n}.",
                               "action": "save"})


def test_editor_and_dashboard_query_counts_do_not_grow(tmp_path, client, auth, count_queries):
    trainer = make_user("trainer", locale="en")
    auth.login(trainer.email)
    counts = {}
    for slug, modules, lessons, saves in (("small", 1, 2, 1), ("large", 4, 6, 4)):
        authored_course(tmp_path / slug, trainer, slug, quiz=True, modules=modules, lessons=lessons)
        _grow_history(client, slug, saves)
        counts[slug] = {}
        for name, url in PAGES.items():
            with count_queries() as queries:
                assert client.get(url.format(slug=slug)).status_code == 200, url
            counts[slug][name] = len(queries)
    assert counts["small"] == counts["large"], counts
    assert max(counts["large"].values()) <= 20, counts
