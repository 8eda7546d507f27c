"""The course files pipeline: validate everything, then write all or nothing."""
from __future__ import annotations

from sqlalchemy import func, select

from lms.content.errors import ContentError
from lms.content.importer import import_courses
from lms.content.models import Course, CourseTag, Lesson, LessonText, Module
from lms.extensions import db
from factories import make_course, make_user, write_course


def lesson_text(key: str, language: str) -> LessonText:
    return db.session.scalar(select(LessonText).join(Lesson).where(
        Lesson.key == key, LessonText.language == language))


def test_import_creates_course_modules_lessons_and_texts(tmp_path):
    make_course(tmp_path, "alpha", modules=2, lessons=3,
                tags='topics = ["innovation"]\nregions = ["pe-cl"]\nsdgs = [9]')
    course = db.session.scalar(select(Course).where(Course.slug == "alpha"))
    assert course.source_language == "es"
    assert {text.language for text in course.texts} == {"es", "en"}
    assert db.session.scalar(select(func.count(Module.id))) == 2
    assert db.session.scalar(select(func.count(Lesson.id))) == 6
    assert db.session.scalar(select(func.count(LessonText.id))) == 12
    assert {(t.kind, t.code) for t in course.tags} == {("topics", "innovation"), ("regions", "pe-cl"), ("sdgs", "9")}
    text = lesson_text("lesson-1-1", "es")
    assert text.revision == 1
    assert '<h2 id="part-1">Part 1</h2>' in text.body_html


def test_rerun_changes_nothing(tmp_path):
    write_course(tmp_path, "alpha", modules=2, lessons=2)
    import_courses(tmp_path)
    before = {(t.lesson_id, t.language): (t.revision, t.updated_at) for t in db.session.scalars(select(LessonText))}
    report = import_courses(tmp_path)
    db.session.expire_all()
    after = {(t.lesson_id, t.language): (t.revision, t.updated_at) for t in db.session.scalars(select(LessonText))}
    assert not report.changed, report.summary()
    assert before == after


def test_editing_one_lesson_updates_that_lesson_alone(tmp_path):
    folder = write_course(tmp_path, "alpha", modules=1, lessons=2)
    import_courses(tmp_path)
    target = folder / "01-module-1" / "02-lesson-1-2.en.md"
    target.write_text('+++\ntitle = "A better title"\n+++\nNew words.\n', encoding="utf-8")
    report = import_courses(tmp_path)
    db.session.expire_all()
    assert report.changes["lesson texts updated"] == 1
    edited = lesson_text("lesson-1-2", "en")
    assert (edited.title, edited.revision) == ("A better title", 2)
    assert "New words." in edited.body_html
    # The Spanish source did not change, so the English text follows the same source revision.
    assert lesson_text("lesson-1-2", "es").revision == 1
    assert lesson_text("lesson-1-1", "en").revision == 1


def test_changed_source_leaves_translation_behind(tmp_path):
    folder = write_course(tmp_path, "alpha", modules=1, lessons=1)
    import_courses(tmp_path)
    assert lesson_text("lesson-1-1", "en").source_revision == 1
    (folder / "01-module-1" / "01-lesson-1-1.es.md").write_text(
        '+++\ntitle = "Nuevo"\n+++\nTexto nuevo.\n', encoding="utf-8")
    import_courses(tmp_path)
    db.session.expire_all()
    assert lesson_text("lesson-1-1", "es").revision == 2
    # The English text still follows revision 1 of the Spanish: it needs an update.
    assert lesson_text("lesson-1-1", "en").source_revision == 1


def test_removed_lesson_is_archived_not_deleted(tmp_path, client):
    from lms.catalog.service import enrol
    folder = write_course(tmp_path, "alpha", modules=1, lessons=2)
    import_courses(tmp_path)
    learner = make_user()
    enrol(learner.id, db.session.scalar(select(Course)))
    for language in ("es", "en"):
        (folder / "01-module-1" / f"02-lesson-1-2.{language}.md").unlink()
    report = import_courses(tmp_path)
    assert report.changes["lessons archived"] == 1
    lesson = db.session.scalar(select(Lesson).where(Lesson.key == "lesson-1-2"))
    assert lesson is not None and lesson.archived_at is not None
    assert len(lesson.texts) == 2
    assert client.get("/courses/alpha/lessons/lesson-1-2").status_code == 404
    assert "Lesson 1.2" not in client.get("/courses/alpha").get_data(as_text=True)
    # Bringing the files back restores the same lesson (same id, records intact).
    write_course(tmp_path, "alpha", modules=1, lessons=2)
    import_courses(tmp_path)
    db.session.expire_all()
    restored = db.session.scalar(select(Lesson).where(Lesson.key == "lesson-1-2"))
    assert restored.id == lesson.id and restored.archived_at is None


def test_bad_file_names_file_and_line_and_imports_nothing(tmp_path):
    write_course(tmp_path, "alpha")
    broken = write_course(tmp_path, "beta")
    (broken / "course.toml").write_text(
        'source_language = "es"\n\n[title]\nes = "Beta"\nen = "Beta"\n\n[summary]\nes = "x"\n\n[tags]\nregions = ["atlantis"]\n',
        encoding="utf-8")
    lesson = broken / "01-module-1" / "01-lesson-1-1.en.md"
    lesson.write_text('+++\ntitle = "Unclosed\n+++\nBody\n', encoding="utf-8")
    try:
        import_courses(tmp_path)
    except ContentError as error:
        messages = [str(problem) for problem in error.problems]
    else:
        raise AssertionError("the import should have failed")
    assert any(m.startswith(f"{broken / 'course.toml'}:11:") and "atlantis" in m for m in messages), messages
    assert any(m.startswith(f"{lesson}:2:") and "TOML" in m for m in messages), messages
    # Nothing at all was written, not even the valid course.
    assert db.session.scalar(select(func.count(Course.id))) == 0


def test_toml_syntax_error_has_line(tmp_path):
    folder = write_course(tmp_path, "alpha")
    (folder / "01-module-1" / "module.toml").write_text('[title]\nes = "M"\nen = = "x"\n', encoding="utf-8")
    try:
        import_courses(tmp_path)
    except ContentError as error:
        problem = error.problems[0]
    else:
        raise AssertionError("the import should have failed")
    assert problem.path.endswith("module.toml") and problem.line == 3


def test_structure_errors(tmp_path):
    folder = write_course(tmp_path, "alpha")
    (folder / "02-Bad Module").mkdir()
    (folder / "01-module-1" / "01-lesson-1-1.fr.md").write_text('+++\ntitle = "x"\n+++\nx\n', encoding="utf-8")
    (folder / "01-module-1" / "notes.md").write_text("stray", encoding="utf-8")
    try:
        import_courses(tmp_path)
    except ContentError as error:
        text = str(error)
    else:
        raise AssertionError("the import should have failed")
    assert "module id 'Bad Module' is not valid" in text
    assert "unknown language 'fr'" in text
    assert "notes.md: a lesson file must be named" in text


def test_failed_reimport_leaves_previous_content(tmp_path):
    folder = write_course(tmp_path, "alpha")
    import_courses(tmp_path)
    (folder / "01-module-1" / "01-lesson-1-1.es.md").write_text('+++\ntitle = "Cambiado"\n+++\nx\n', encoding="utf-8")
    (folder / "01-module-1" / "02-lesson-1-2.es.md").write_text("no front matter\n", encoding="utf-8")
    try:
        import_courses(tmp_path)
    except ContentError:
        pass
    db.session.expire_all()
    assert lesson_text("lesson-1-1", "es").title == "Lesson 1.1 (es)"


def test_cli_import_reports_problems_and_exit_code(tmp_path, runner):
    folder = write_course(tmp_path, "alpha")
    ok = runner.invoke(args=["lms", "import-courses", str(tmp_path)])
    assert ok.exit_code == 0 and "Imported" in ok.output
    (folder / "course.toml").write_text("source_language = 'xx'\n", encoding="utf-8")
    bad = runner.invoke(args=["lms", "import-courses", str(tmp_path)])
    assert bad.exit_code == 1
    assert "Nothing was imported" in bad.output and "course.toml:1: source_language must be one of" in bad.output


def test_tag_rows_follow_the_files(tmp_path):
    folder = write_course(tmp_path, "alpha", tags='regions = ["pe-cl", "mx-gt"]')
    import_courses(tmp_path)
    write_course(tmp_path, "alpha", tags='regions = ["mx-gt"]\nvalue_chains = ["cocoa"]')
    import_courses(tmp_path)
    assert folder.exists()
    rows = {(t.kind, t.code) for t in db.session.scalars(select(CourseTag))}
    assert rows == {("regions", "mx-gt"), ("value_chains", "cocoa")}


def test_shipped_courses_import_cleanly(app):
    report = import_courses(app.config["COURSES_PATH"])
    assert report.changes["courses created"] >= 1
    courses = db.session.scalars(select(Course)).all()
    for course in courses:
        assert {t.language for t in course.texts} == {"es", "en"}, course.slug
    missing = db.session.execute(
        select(Lesson.key, func.count(LessonText.id)).join(LessonText)
        .group_by(Lesson.key).having(func.count(LessonText.id) < 2)).all()
    assert missing == [], f"lessons without both languages: {missing}"
