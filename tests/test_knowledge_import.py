"""Knowledge entries shipped as files: imported with the courses, all or
nothing, idempotent, archived (never deleted) when their files go."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from library_support import course_with_links, lesson_file, write_entry
from lms.config import ROOT
from lms.content.errors import ContentError
from lms.content.importer import import_courses
from lms.content.models import Course, Lesson
from lms.extensions import db
from lms.knowledge.models import KnowledgeEntry, KnowledgeEntryText, KnowledgeLessonLink
from lms.timeutil import utcnow


def entry(slug: str) -> KnowledgeEntry | None:
    db.session.expire_all()
    return db.session.scalar(select(KnowledgeEntry).where(KnowledgeEntry.slug == slug))


def problems_of(root) -> list[str]:
    with pytest.raises(ContentError) as caught:
        import_courses(root)
    return [str(problem) for problem in caught.value.problems]


def test_shipped_entries_import_published_in_both_languages_with_tags_and_lessons(app):
    report = import_courses(ROOT / "courses")
    shipped = {path.name.split(".")[0] for path in (ROOT / "courses" / "knowledge").glob("*.md")}
    assert report.changes["knowledge entries created"] == len(shipped) >= 8
    entries = db.session.scalars(select(KnowledgeEntry)).all()
    assert {e.slug for e in entries} == shipped
    for item in entries:
        assert (item.source, item.status) == ("file", "published"), item.slug
        assert {t.language for t in item.texts} == {"es", "en"}, item.slug
        assert item.kind in ("case", "action-plan")
        assert item.tag_codes("regions") and item.lesson_refs, item.slug
        for text in item.texts:
            assert text.body_html.startswith("<h2") and text.summary and text.search_text == text.search_text.lower()
    # Every lesson an entry names is linked.
    platform = db.session.scalar(select(KnowledgeEntry).where(KnowledgeEntry.slug == "binational-market-platform"))
    linked = set(db.session.scalars(
        select(Lesson.key).join(KnowledgeLessonLink, KnowledgeLessonLink.lesson_id == Lesson.id)
        .where(KnowledgeLessonLink.entry_id == platform.id)))
    assert {"smart-agriculture-border-regions", "peru-chile-smart-agriculture-plan"} <= linked
    rerun = import_courses(ROOT / "courses")
    assert not rerun.changed, rerun.summary()
    assert rerun.changes["knowledge entries unchanged"] == len(shipped)


def test_rerun_changes_nothing_and_an_edit_changes_that_entry_alone(tmp_path):
    course_with_links(tmp_path)
    write_entry(tmp_path, "first-case", "es", title="Primer caso", lessons=["linked-course/lesson-1-2"])
    write_entry(tmp_path, "first-case", "en", title="First case", lessons=["linked-course/lesson-1-2"])
    write_entry(tmp_path, "second-case", "en", title="Second case")
    first = import_courses(tmp_path)
    assert first.changes["knowledge entries created"] == 2
    before = {e.slug: (e.updated_at, [t.updated_at for t in e.texts]) for e in
              db.session.scalars(select(KnowledgeEntry))}
    assert not import_courses(tmp_path).changed

    write_entry(tmp_path, "second-case", "en", title="Second case, revised", body="New text.\n")
    report = import_courses(tmp_path)
    assert report.changes["knowledge entries updated"] == 1
    assert report.changes["knowledge entries unchanged"] == 1
    assert entry("first-case").updated_at == before["first-case"][0]
    revised = entry("second-case")
    assert revised.texts[0].title == "Second case, revised" and "New text." in revised.texts[0].body_html


def test_removed_entry_is_archived_not_deleted_and_comes_back(tmp_path, client):
    course_with_links(tmp_path)
    write_entry(tmp_path, "short-lived", "en", title="Short lived")
    keep = write_entry(tmp_path, "kept", "en", title="Kept")
    import_courses(tmp_path)
    assert client.get("/knowledge/short-lived").status_code == 200
    (tmp_path / "knowledge" / "short-lived.en.md").unlink()
    report = import_courses(tmp_path)
    assert report.changes["knowledge entries archived"] == 1
    assert entry("short-lived").status == "archived"
    assert db.session.scalar(select(func.count(KnowledgeEntryText.id))) == 2  # the texts are kept
    assert client.get("/knowledge/short-lived").status_code == 404
    assert "Short lived" not in client.get("/knowledge/").get_data(as_text=True)
    assert keep.exists() and entry("kept").status == "published"

    write_entry(tmp_path, "short-lived", "en", title="Short lived")
    assert import_courses(tmp_path).changes["knowledge entries restored"] == 1
    assert client.get("/knowledge/short-lived").status_code == 200


def test_a_tree_without_a_knowledge_folder_leaves_entries_alone(tmp_path):
    course_with_links(tmp_path / "full")
    write_entry(tmp_path / "full", "kept", "en")
    import_courses(tmp_path / "full")
    report = import_courses(tmp_path / "full" / "linked-course")  # one course folder
    assert "knowledge entries archived" not in report.changes
    assert entry("kept").status == "published"


def test_advice_entries_are_untouched_and_their_ids_cannot_be_taken(tmp_path):
    advice_entry = KnowledgeEntry(slug="an-answer", source="advice", status="draft", created_at=utcnow())
    db.session.add(advice_entry)
    db.session.commit()
    course_with_links(tmp_path)
    write_entry(tmp_path, "file-entry", "en")
    import_courses(tmp_path)
    assert entry("an-answer").status == "draft" and entry("an-answer").kind == "answer"

    write_entry(tmp_path, "an-answer", "en")
    problems = problems_of(tmp_path)
    assert any("an-answer.en.md" in p and "already used by an entry published from an advice request" in p
               for p in problems), problems


def test_errors_name_file_and_line_and_nothing_is_imported(tmp_path):
    course_with_links(tmp_path)
    bad = write_entry(tmp_path, "bad-entry", "es", kind="story", regions=["pe-xx"], sdgs=[18],
                      lessons=["linked-course/no-such-lesson"], extra='colour = "blue"')
    write_entry(tmp_path, "bad-entry", "en", kind="case", topics=["governance"])
    (tmp_path / "knowledge" / "Not An Id.en.md").write_text("+++\ntitle = \"x\"\n+++\nx\n", encoding="utf-8")
    problems = problems_of(tmp_path)
    text = "\n".join(problems)
    assert f"{bad}:3: kind must be one of case, action-plan" in text
    assert f"{bad}:4: regions: unknown code 'pe-xx'" in text
    assert f"{bad}:7: sdgs: 18 is not an SDG number from 1 to 17" in text
    assert f"{bad}:9: unknown key 'colour'" in text
    assert "Not An Id.en.md: a knowledge file must be named" in text
    # Nothing was imported: not even the course beside the files.
    assert db.session.scalar(select(func.count(Course.id))) == 0
    assert db.session.scalar(select(func.count(KnowledgeEntry.id))) == 0


def test_lesson_references_are_checked_both_ways(tmp_path):
    course_with_links(tmp_path, knowledge=["no-such-entry"])
    entry_path = write_entry(tmp_path, "an-entry", "en", lessons=["linked-course/missing-lesson"])
    problems = problems_of(tmp_path)
    lesson = lesson_file(tmp_path, "linked-course", "lesson-1-1", "es")
    assert any(p.startswith(f"{lesson}:3: knowledge: 'no-such-entry' is not a knowledge entry") for p in problems), \
        problems
    assert f"{entry_path}:8: lessons: 'linked-course/missing-lesson' names no lesson" in "\n".join(problems)


def test_both_languages_must_share_kind_tags_and_lessons(tmp_path):
    course_with_links(tmp_path)
    write_entry(tmp_path, "pair", "en", kind="case", regions=["pe-cl"])
    spanish = write_entry(tmp_path, "pair", "es", kind="action-plan", regions=["mx-gt"])
    problems = "\n".join(problems_of(tmp_path))
    assert f"{spanish}:3: kind differs from" in problems
    assert f"{spanish}:4: regions differs from" in problems


def test_links_follow_both_sides_files(tmp_path):
    root = tmp_path
    course_with_links(root, knowledge=["named-by-lesson"])
    write_entry(root, "named-by-lesson", "en")
    write_entry(root, "names-the-lesson", "en", lessons=["linked-course/lesson-1-2"])
    import_courses(root)

    def links() -> set[tuple[str, str]]:
        return set(db.session.execute(
            select(KnowledgeEntry.slug, Lesson.key).join(KnowledgeLessonLink, KnowledgeLessonLink.entry_id == KnowledgeEntry.id)
            .join(Lesson, Lesson.id == KnowledgeLessonLink.lesson_id)).all())

    assert links() == {("named-by-lesson", "lesson-1-1"), ("names-the-lesson", "lesson-1-2")}
    for language in ("es", "en"):
        path = lesson_file(root, "linked-course", "lesson-1-1", language)
        path.write_text(path.read_text(encoding="utf-8").replace('knowledge = ["named-by-lesson"]\n', ""),
                        encoding="utf-8")
    report = import_courses(root)
    assert report.changes["knowledge lesson links removed"] == 1
    assert links() == {("names-the-lesson", "lesson-1-2")}


def test_cli_reports_problems_with_file_and_line(tmp_path, runner):
    course_with_links(tmp_path)
    bad = write_entry(tmp_path, "bad", "en", kind="story")
    result = runner.invoke(args=["lms", "import-courses", str(tmp_path)])
    assert result.exit_code == 1
    assert "Nothing was imported" in result.output
    assert f"{bad}:3: kind must be one of case, action-plan" in result.output
