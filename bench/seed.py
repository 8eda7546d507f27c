"""Seed a large, realistic Frontera database fast (for bench/run.py).

    .venv/bin/python bench/seed.py                          # full size, bench/results/bench.sqlite
    .venv/bin/python bench/seed.py --scale 0.001 --out /tmp/small.sqlite
    .venv/bin/python bench/seed.py --database-url postgresql://postgres@127.0.0.1:5432/frontera_bench --reset

At scale 1: 200 courses in two languages (10 lessons in two modules, and a
quiz of 10 questions each), 50,000 learners, 1,000,000 lesson-progress rows,
200,000 submitted quiz attempts (with their responses), 100,000 advice
requests (with their question and submission event), plus experts, trainers
and an admin. Tables of capabilities not present in the code are skipped
with a note.

How it is fast:
* the course content is imported once, through the real importer, as two
  template courses (one written in Spanish, one in English); the other 198
  are copies of their rows with new ids (generic over every content table,
  so columns added later are copied too);
* everything else is generated in Python with explicit ids and loaded with
  the DBAPI directly: `executemany` in batches on SQLite (journal off,
  synchronous off, a big page cache, exclusive lock for the load; WAL again
  afterwards), `COPY ... FROM STDIN` on PostgreSQL (sequences moved past the
  ids afterwards, then ANALYZE);
* one password hash (pbkdf2, cheap) is shared by every seeded account.
"""
from __future__ import annotations

import argparse
import json
import math
import random
import sqlite3
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Iterable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import JSON, Boolean, DateTime, inspect, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

PASSWORD = "bench password 1234"
EMAIL_DOMAIN = "bench.example.org"
BATCH = 20_000
NOW = datetime(2026, 3, 1, 12, 0, 0)

FULL = dict(courses=200, learners=50_000, progress=1_000_000, attempts=200_000, advice=100_000)
EXPERTS, TRAINERS = 40, 5
# Tables that get many rows (their indexes are rebuilt after the load on PostgreSQL).
BIG_TABLES = ("users", "user_roles", "enrolments", "lesson_progress", "module_completions", "quiz_attempts",
              "quiz_responses", "advice_requests", "advice_messages", "advice_events", "advice_queue_members",
              "advice_expertise")
# Learners who take the quiz-submission run: each holds one open attempt per quiz.
# 96 x 200 quizzes = 19,200 open attempts: enough for 10 s at well over 1,000 posts/s,
# so no post in the run lands on an attempt already submitted (a cheaper answer).
SUBMITTERS = 96


def log(message: str) -> None:
    print(f"[seed] {message}", flush=True)


# --------------------------------------------------------------------------------------
# What was seeded (read by bench/run.py)

@dataclass
class Seeded:
    url: str
    dialect: str
    counts: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0
    password: str = PASSWORD
    learner_email: str = ""
    expert_email: str = ""
    trainer_email: str = ""
    admin_email: str = ""
    lesson_url: str = ""
    course_url: str = ""
    report_url: str = ""
    submitters: list[str] = field(default_factory=list)        # emails
    open_attempts: dict[str, list[int]] = field(default_factory=dict)  # email -> attempt ids

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=1)

    @classmethod
    def from_json(cls, data: str) -> Seeded:
        return cls(**json.loads(data))


# --------------------------------------------------------------------------------------
# The template courses, written as course files and imported for real

def _real_lesson_bodies() -> dict[str, list[str]]:
    """Lesson texts from the shipped courses, so lesson pages have realistic sizes."""
    bodies: dict[str, list[str]] = {"es": [], "en": []}
    for path in sorted((ROOT / "courses").glob("*/*/*.md")):
        language = path.suffixes[-2].lstrip(".") if len(path.suffixes) >= 2 else ""
        if language in bodies:
            content = path.read_text(encoding="utf-8")
            if content.startswith("+++"):
                content = content.split("+++", 2)[2]
            bodies[language].append(content.strip() + "\n")
    for language in bodies:
        if not bodies[language]:
            bodies[language] = ["## Section\n\n" + "Text of the lesson. " * 150 + "\n"]
    return bodies


def write_template_courses(root: Path) -> list[str]:
    bodies = _real_lesson_bodies()
    slugs = []
    for n, source in enumerate(("es", "en")):
        slug = f"bench-{source}"
        slugs.append(slug)
        folder = root / slug
        folder.mkdir(parents=True)
        (folder / "course.toml").write_text(textwrap.dedent(f"""\
            source_language = "{source}"
            hours = 6
            [title]
            es = "Curso de referencia {n + 1}: cooperación transfronteriza"
            en = "Reference course {n + 1}: cross-border cooperation"
            [summary]
            es = "Cómo las regiones de frontera construyen cadenas de valor binacionales."
            en = "How border regions build binational value chains."
            [tags]
            topics = ["{('innovation', 'value-chains')[n]}", "cross-border-cooperation"]
            regions = ["{('pe-cl', 'mx-gt')[n]}", "ec-co"]
            value_chains = ["{('cocoa', 'tourism')[n]}"]
            sdgs = [8, 9]
            """), encoding="utf-8")
        lesson_number = 0
        for m in (1, 2):
            module = folder / f"{m:02d}-module-{m}"
            module.mkdir()
            (module / "module.toml").write_text(f'[title]\nes = "Módulo {m}"\nen = "Module {m}"\n',
                                                encoding="utf-8")
            for k in range(1, 6):
                for language in ("es", "en"):
                    body = bodies[language][lesson_number % len(bodies[language])]
                    (module / f"{k:02d}-lesson-{m}-{k}.{language}.md").write_text(
                        f'+++\ntitle = "{("Lección", "Lesson")[language == "en"]} {m}.{k}"\nminutes = 12\n+++\n{body}',
                        encoding="utf-8")
                lesson_number += 1
            if m == 2:
                (module / "quiz.toml").write_text(_quiz_toml(), encoding="utf-8")
    return slugs


def _quiz_toml(questions: int = 10) -> str:
    lines = ['pass_mark = 70', 'grading = "best"', 'shuffle_choices = true', '[title]',
             'es = "Evaluación del curso"', 'en = "Course quiz"']
    for q in range(1, questions + 1):
        lines.append(textwrap.dedent(f'''
            [[questions]]
            id = "q{q}"
            type = "single"
            text = {{ es = "¿Cuál es la respuesta correcta a la pregunta {q}?", en = "Which is the right answer to question {q}?" }}
              [[questions.choices]]
              id = "right"
              text = {{ es = "La correcta", en = "The right one" }}
              fraction = 1.0
              feedback = {{ es = "Correcto.", en = "Right." }}
              [[questions.choices]]
              id = "wrong"
              text = {{ es = "Una incorrecta", en = "A wrong one" }}
              feedback = {{ es = "No.", en = "No." }}
              [[questions.choices]]
              id = "other"
              text = {{ es = "Otra", en = "Another" }}
            '''))
    return "\n".join(lines)


# --------------------------------------------------------------------------------------
# Loading rows fast

def _convert(row, extra: tuple, active) -> list:
    row = [*row, *extra]
    for i, fn in active:
        row[i] = fn(row[i])
    return row


class Loader:
    """Bulk loads into one table at a time, through the DBAPI."""

    def __init__(self, engine, metadata) -> None:
        self.engine = engine
        self.metadata = metadata
        self.dialect = engine.dialect.name
        self.raw = engine.raw_connection()
        self.connection = self.raw.driver_connection
        self.counts: dict[str, int] = {}
        self._deferred: list[str] = []
        if self.dialect == "sqlite":
            for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-262144", "temp_store=MEMORY",
                           "locking_mode=EXCLUSIVE", "foreign_keys=OFF"):
                self.connection.execute(f"PRAGMA {pragma}")
        else:
            with self.connection.cursor() as cursor:
                cursor.execute("SET synchronous_commit TO off")
                cursor.execute("SET maintenance_work_mem TO '256MB'")

    def defer_constraints(self, tables) -> None:
        """PostgreSQL: drop the indexes, unique and foreign-key constraints of the
        tables about to get many rows; finish() rebuilds them (one sort per index
        and one check per foreign key instead of work for every row)."""
        if self.dialect != "postgresql":
            return
        from sqlalchemy.schema import (AddConstraint, CreateIndex, DropConstraint, DropIndex,
                                       ForeignKeyConstraint, UniqueConstraint)

        dialect = self.engine.dialect
        foreign, other, recreate_first, recreate_last = [], [], [], []
        for name in tables:
            table = self.metadata.tables.get(name)
            if table is None:
                continue
            for constraint in table.constraints:
                if isinstance(constraint, ForeignKeyConstraint):
                    foreign.append(str(DropConstraint(constraint).compile(dialect=dialect)))
                    recreate_last.append(str(AddConstraint(constraint, isolate_from_table=False).compile(
                        dialect=dialect)))
                elif isinstance(constraint, UniqueConstraint):
                    other.append(str(DropConstraint(constraint).compile(dialect=dialect)))
                    recreate_first.append(str(AddConstraint(constraint, isolate_from_table=False).compile(
                        dialect=dialect)))
            for index in table.indexes:
                other.append(str(DropIndex(index).compile(dialect=dialect)))
                recreate_first.append(str(CreateIndex(index).compile(dialect=dialect)))
        with self.connection.cursor() as cursor:
            for statement in foreign + other:
                cursor.execute(statement)
        self.connection.commit()
        self._deferred = recreate_first + recreate_last

    def has(self, table: str) -> bool:
        return table in self.metadata.tables

    def _converters(self, table, columns: list[str], raw: bool):
        """Per column, a function making a Python value fit for the DBAPI (None: as is).

        raw: values read back from the same kind of database (SQLite strings pass
        through; PostgreSQL's parsed JSON is written back as text).
        """
        sqlite = self.dialect == "sqlite"
        converters = []
        for name in columns:
            column_type = table.columns[name].type
            if raw:
                # Already in the database's own format; PostgreSQL gives parsed JSON back.
                converters.append(None if sqlite or not isinstance(column_type, JSON)
                                  else (lambda v: v if v is None or isinstance(v, str) else json.dumps(v)))
            elif isinstance(column_type, JSON):
                converters.append(lambda v: None if v is None else json.dumps(v))
            elif isinstance(column_type, DateTime) and sqlite:
                # SQLAlchemy's SQLite storage format for DateTime.
                converters.append(lambda v: v.isoformat(" ", "microseconds") if isinstance(v, datetime) else v)
            elif isinstance(column_type, Boolean) and sqlite:
                converters.append(lambda v: None if v is None else int(v))
            else:
                converters.append(None)
        return converters

    def _defaults(self, table, columns: list[str]) -> tuple[list[str], list[Any]]:
        """Columns the rows leave out, with their Python-side defaults (model columns added later)."""
        names, values = [], []
        for column in table.columns:
            if column.name in columns or column.primary_key and column.autoincrement is True:
                continue
            default = column.default
            if default is None:
                continue
            if default.is_scalar:
                value = default.arg
            elif default.is_callable:
                value = default.arg(SimpleNamespace())
            else:
                continue
            names.append(column.name)
            values.append(value)
        return names, values

    def load(self, table_name: str, columns: list[str], rows: Iterable, raw: bool = False) -> int:
        table = self.metadata.tables[table_name]
        extra_names, extra_values = self._defaults(table, columns)
        all_columns = list(columns) + extra_names
        converters = self._converters(table, all_columns, raw)
        if raw:
            converters[len(columns):] = [None] * len(extra_names)
        active = [(i, fn) for i, fn in enumerate(converters) if fn is not None]
        # The defaults are Python values: made fit for the database once.
        fit = self._converters(table, extra_names, raw=False)
        extra = tuple(fn(value) if fn else value for fn, value in zip(fit, extra_values, strict=True))

        def prepared(batch):
            if not active and not extra:
                return batch
            return (_convert(row, extra, active) for row in batch)

        quoted = ", ".join(f'"{name}"' for name in all_columns)
        count = 0
        if self.dialect == "sqlite":
            sql = f'INSERT INTO "{table_name}" ({quoted}) VALUES ({", ".join("?" * len(all_columns))})'
            rows = rows if isinstance(rows, list) else list(rows)
            for start in range(0, len(rows), BATCH):
                batch = rows[start:start + BATCH]
                self.connection.executemany(sql, prepared(batch))
                count += len(batch)
        else:
            with self.connection.cursor() as cursor:
                with cursor.copy(f'COPY "{table_name}" ({quoted}) FROM STDIN') as copy:
                    for row in prepared(rows):
                        copy.write_row(row)
                        count += 1
        self.counts[table_name] = self.counts.get(table_name, 0) + count
        return count

    def commit(self) -> None:
        self.connection.commit()

    def finish(self) -> None:
        if self.dialect == "sqlite":
            self.connection.commit()
            self.connection.execute("PRAGMA locking_mode=NORMAL")
            self.connection.execute("PRAGMA journal_mode=WAL")
            self.connection.execute("PRAGMA foreign_keys=ON")
        else:
            with self.connection.cursor() as cursor:
                for statement in self._deferred:
                    cursor.execute(statement)
                for table in self.metadata.sorted_tables:
                    pk = list(table.primary_key.columns)
                    if len(pk) == 1 and pk[0].autoincrement in (True, "auto") and str(pk[0].type) == "INTEGER":
                        cursor.execute(
                            f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', '{pk[0].name}'), "
                            f"COALESCE((SELECT max(\"{pk[0].name}\") FROM \"{table.name}\"), 0) + 1, false)")
            self.connection.commit()
            self.connection.autocommit = True
            with self.connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")  # statistics and the visibility map (index-only scans)
            self.connection.autocommit = False
        self.raw.close()

    def next_id(self, table_name: str) -> int:
        cursor = self.connection.cursor()
        cursor.execute(f'SELECT COALESCE(max(id), 0) + 1 FROM "{table_name}"')
        value = cursor.fetchone()[0]
        cursor.close()
        return value


# --------------------------------------------------------------------------------------
# Cloning the template courses

# Columns holding the id of a row of another table named by a "kind" column (no foreign key):
# table -> (kind column, id column, {kind: table}). A row of an unknown kind is not copied.
POLYMORPHIC = {
    "content_revisions": ("kind", "item_id", {"course": "courses", "module": "modules", "lesson": "lessons",
                                              "quiz": "modules"}),
}


def clone_courses(loader: Loader, template_ids: list[int], total: int) -> None:
    """Copy every content row of the template courses until there are `total` courses.

    Rows are read and written raw through the loader's connection; tables are
    visited in dependency order and a row is copied when every content row it
    points at was copied in the same round.
    """
    metadata = loader.metadata
    cursor = loader.connection.cursor()

    def has_rows(name: str) -> bool:
        cursor.execute(f'SELECT 1 FROM "{name}" LIMIT 1')
        return cursor.fetchone() is not None

    # Content tables: courses, and every table with rows that points (transitively) at one.
    content = {"courses"}
    changed = True
    while changed:
        changed = False
        for table in metadata.sorted_tables:
            if table.name not in content and any(fk.column.table.name in content for fk in table.foreign_keys) \
                    and has_rows(table.name):
                content.add(table.name)
                changed = True
    rows_by_table: dict[str, tuple[list[str], list[tuple]]] = {}
    for name in content:
        cursor.execute(f'SELECT * FROM "{name}"')
        rows_by_table[name] = ([d[0] for d in cursor.description], cursor.fetchall())
    cursor.close()
    span = {}
    for name, (columns, rows) in rows_by_table.items():
        span[name] = max((row[columns.index("id")] for row in rows), default=0) if "id" in columns else 0
    ordered = [table for table in metadata.sorted_tables if table.name in content]
    made, k = len(template_ids), 0
    while made < total:
        k += 1
        keep = template_ids[: min(len(template_ids), total - made)]
        made += len(keep)
        copied: dict[str, set] = {}
        for table in ordered:
            columns, rows = rows_by_table[table.name]
            unique_strings = set()
            for constraint in table.constraints:
                cols = list(getattr(constraint, "columns", []))
                if constraint.__class__.__name__ == "UniqueConstraint" and len(cols) == 1 and _is_string(cols[0]):
                    unique_strings.add(cols[0].name)
            unique_strings |= {col.name for col in table.columns if col.unique and _is_string(col)}
            fks = [(columns.index(fk.parent.name), fk.column.table.name) for fk in table.foreign_keys
                   if fk.column.table.name in content and fk.parent.name in columns]
            id_index = columns.index("id") if "id" in columns else None
            kind_column, item_column, kinds = POLYMORPHIC.get(table.name, (None, None, {}))
            out, ids = [], set()
            for row in rows:
                if table.name == "courses":
                    if row[id_index] not in keep:
                        continue
                elif any(row[i] is not None and row[i] not in copied.get(target, ()) for i, target in fks):
                    continue
                new = list(row)
                if kind_column:
                    target = kinds.get(row[columns.index(kind_column)])
                    i = columns.index(item_column)
                    if target is None or row[i] not in copied.get(target, ()):
                        continue
                    new[i] = row[i] + k * span[target]
                if id_index is not None:
                    ids.add(row[id_index])
                    new[id_index] = row[id_index] + k * span[table.name]
                for i, target in fks:
                    if row[i] is not None:
                        new[i] = row[i] + k * span[target]
                for name in unique_strings:
                    i = columns.index(name)
                    if new[i] is not None:
                        new[i] = f"{new[i]}-{k:03d}"
                if table.name == "course_texts":
                    new[columns.index("title")] = f"{row[columns.index('title')]} · {k + 1}"
                    if "search_text" in columns:
                        i = columns.index("search_text")
                        new[i] = f"{row[i]} {k + 1}"
                out.append(new)
            copied[table.name] = ids
            if out:
                loader.load(table.name, columns, out, raw=True)
    loader.commit()


def _is_string(column) -> bool:
    try:
        return column.type.python_type is str
    except NotImplementedError:
        return False


# --------------------------------------------------------------------------------------
# The seeding proper

def seed(url: str, *, scale: float = 1.0, reset: bool = False, seed_value: int = 7,
         sizes: dict[str, int] | None = None) -> Seeded:
    started = time.perf_counter()
    sizes = dict(sizes or {name: (value if name == "courses" else max(1, int(value * scale)))
                           for name, value in FULL.items()})
    rng = random.Random(seed_value)
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        path = make_url(url).database
        if path and path != ":memory:":
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(path + suffix).unlink(missing_ok=True)
            Path(path).parent.mkdir(parents=True, exist_ok=True)

    from lms import create_app
    from lms.config import TestConfig
    from lms.extensions import db

    tmp = Path(tempfile.mkdtemp(prefix="frontera-seed-"))
    config = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI=url, UPLOADS_PATH=str(tmp / "uploads"), LOG_REQUESTS=False)
    app = create_app(config)
    result = Seeded(url=url, dialect=backend)
    with app.app_context():
        existing = inspect(db.engine).get_table_names()
        if existing and backend != "sqlite" and not reset:
            raise SystemExit(f"{url} already has tables ({len(existing)}); pass --reset to drop them first.")
        db.drop_all()
        db.create_all()
        tables = set(db.metadata.tables)

        # 1. Two template courses through the real importer, then copies.
        from lms.content.importer import import_courses
        from lms.content.models import Course
        write_template_courses(tmp / "courses")
        import_courses(tmp / "courses")
        template_ids = list(db.session.scalars(select(Course.id).order_by(Course.id)))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()  # the loader's connection is the only one from here on
        loader = Loader(db.engine, db.metadata)
        clone_courses(loader, template_ids, sizes["courses"])
        loader.defer_constraints(BIG_TABLES)
        log(f"{sizes['courses']} courses copied from {len(template_ids)} imported templates "
            f"({time.perf_counter() - started:.1f} s)")
        content = _content_index(loader)

        # 2. People.
        password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
        users, roles = [], []
        next_user = loader.next_id("users")

        def person(kind: str, n: int, role: str, locale: str) -> int:
            nonlocal next_user
            user_id = next_user
            next_user += 1
            users.append((user_id, f"{kind}{n}@{EMAIL_DOMAIN}", f"{kind.title()} {n}", password_hash, locale,
                          None, (None, "mx-gt", "ec-co", "pe-co", "pe-cl")[n % 5], True,
                          f"{rng.getrandbits(128):032x}", NOW - timedelta(days=400), None))
            roles.append((user_id, role))
            return user_id

        learners = [person("learner", n, "learner", "es" if n % 3 else "en")
                    for n in range(1, sizes["learners"] + 1)]
        submitters = [person("submitter", n, "learner", "es") for n in range(1, SUBMITTERS + 1)]
        experts = [person("expert", n, "expert", "es") for n in range(1, EXPERTS + 1)]
        trainers = [person("trainer", n, "trainer", "en") for n in range(1, TRAINERS + 1)]
        admin = person("admin", 1, "admin", "en")
        loader.load("users", ["id", "email", "name", "password_hash", "locale", "timezone", "region", "active",
                              "session_token", "created_at", "last_login_at"], users)
        loader.load("user_roles", ["user_id", "role"], roles)
        loader.commit()
        log(f"{len(users)} people ({time.perf_counter() - started:.1f} s)")

        # 3. Enrolments and progress.
        has_progress = {"lesson_progress", "module_completions"} <= tables
        clock = Clock(rng)
        enrolled = _seed_learning(loader, content, learners, sizes, rng, has_progress, result, clock)
        log(f"enrolments{' and lesson progress' if has_progress else ''} "
            f"({time.perf_counter() - started:.1f} s)")

        # 4. Quiz attempts.
        if {"quiz_attempts", "quiz_responses"} <= tables and content.quizzes:
            _seed_attempts(loader, content, enrolled, sizes["attempts"], rng, clock)
            result.open_attempts = _seed_open_attempts(loader, content, submitters, users, rng)
            result.submitters = [f"submitter{n}@{EMAIL_DOMAIN}" for n in range(1, SUBMITTERS + 1)]
            log(f"quiz attempts ({time.perf_counter() - started:.1f} s)")
        else:
            result.skipped.append("quiz attempts (no lms.quizzes models)")
        loader.commit()

        # 5. Advice requests.
        if {"advice_requests", "advice_queues"} <= tables:
            loader.commit()
            _seed_advice(app, db, loader, learners, experts, sizes["advice"], rng)
            log(f"advice requests ({time.perf_counter() - started:.1f} s)")
        else:
            result.skipped.append("advice requests (no lms.advice models)")
        loader.finish()
        result.counts = dict(loader.counts)

        first_course = content.course_slugs[content.popular[0]]
        result.learner_email = f"learner1@{EMAIL_DOMAIN}"
        result.expert_email = f"expert1@{EMAIL_DOMAIN}"
        result.trainer_email = f"trainer1@{EMAIL_DOMAIN}"
        result.admin_email = f"admin1@{EMAIL_DOMAIN}"
        learner_course = enrolled[learners[0]][0][0]  # (course, reached, last visit)
        lesson_key = content.lesson_keys[learner_course][5]
        result.lesson_url = f"/courses/{content.course_slugs[learner_course]}/lessons/{lesson_key}"
        result.course_url = f"/courses/{first_course}"
        result.report_url = f"/trainer/courses/{first_course}/report"
        db.session.remove()
        db.engine.dispose()
    result.seconds = time.perf_counter() - started
    return result


@dataclass
class Content:
    course_ids: list[int]
    course_slugs: dict[int, str]
    lessons: dict[int, list[tuple[int, int]]]   # course -> [(lesson id, module id)] in order
    lesson_keys: dict[int, list[str]]
    modules: dict[int, list[int]]               # course -> module ids in order
    quizzes: dict[int, tuple[int, int, list[tuple[int, list[str]]]]]  # course -> (quiz, module, questions)
    quiz_settings: dict[int, Any]
    popular: list[int]                          # course ids, most popular first
    cumulative: list[float]                     # their cumulative weights


def _content_index(loader: Loader) -> Content:
    c = loader.connection
    cur = c.cursor()
    cur.execute("SELECT id, slug FROM courses ORDER BY id")
    slugs = dict(cur.fetchall())
    cur.execute("SELECT m.course_id, m.id FROM modules m ORDER BY m.course_id, m.position, m.id")
    modules: dict[int, list[int]] = {}
    for course_id, module_id in cur.fetchall():
        modules.setdefault(course_id, []).append(module_id)
    cur.execute("SELECT l.course_id, l.id, l.module_id, l.key FROM lessons l JOIN modules m ON m.id = l.module_id "
                "ORDER BY l.course_id, m.position, l.position, l.id")
    lessons: dict[int, list[tuple[int, int]]] = {}
    keys: dict[int, list[str]] = {}
    for course_id, lesson_id, module_id, key in cur.fetchall():
        lessons.setdefault(course_id, []).append((lesson_id, module_id))
        keys.setdefault(course_id, []).append(key)
    quizzes, settings = {}, {}
    if loader.has("quizzes"):
        cur.execute("SELECT id, course_id, module_id, pass_mark, shuffle_questions, shuffle_choices, draw "
                    "FROM quizzes")
        quiz_rows = cur.fetchall()
        cur.execute("SELECT id, quiz_id, type, grading FROM quiz_questions ORDER BY quiz_id, position, id")
        questions: dict[int, list] = {}
        for question_id, quiz_id, qtype, grading in cur.fetchall():
            grading = json.loads(grading) if isinstance(grading, str) else grading
            questions.setdefault(quiz_id, []).append(SimpleNamespace(id=question_id, type=qtype, grading=grading))
        for quiz_id, course_id, module_id, pass_mark, shuffle_q, shuffle_c, draw in quiz_rows:
            quizzes[course_id] = (quiz_id, module_id, questions.get(quiz_id, []))
            settings[quiz_id] = SimpleNamespace(pass_mark=pass_mark, shuffle_questions=bool(shuffle_q),
                                                shuffle_choices=bool(shuffle_c), draw=draw or 0)
    cur.close()
    course_ids = sorted(slugs)
    popular = list(course_ids)
    random.Random(3).shuffle(popular)
    # Popularity falls off with rank, as in any catalog.
    cumulative, running = [], 0.0
    for rank in range(len(popular)):
        running += 1.0 / (rank + 1) ** 0.7
        cumulative.append(running)
    return Content(course_ids, slugs, lessons, keys, modules, quizzes, settings, popular, cumulative)


def _pick_courses(content: Content, rng: random.Random, k: int) -> list[int]:
    chosen: list[int] = []
    while len(chosen) < min(k, len(content.popular)):
        course = rng.choices(content.popular, cum_weights=content.cumulative)[0]
        if course not in chosen:
            chosen.append(course)
    return chosen


class Clock:
    """Timestamps over the last 400 days, sorted and already in the databases'
    text format: generating a million rows then costs list indexing, not
    datetime arithmetic and formatting (both databases parse the text)."""

    def __init__(self, rng: random.Random, count: int = 250_000, days: int = 400) -> None:
        start = NOW - timedelta(days=days)
        seconds = sorted(rng.randrange(days * 86400) for _ in range(count))
        self.values = [(start + timedelta(seconds=n)).isoformat(" ", "microseconds") for n in seconds]
        self.step_hour = max(1, round(count / (days * 24)))  # indexes per hour

    def __len__(self) -> int:
        return len(self.values)


def _seed_learning(loader: Loader, content: Content, learners: list[int], sizes, rng, has_progress: bool,
                   result: Seeded, clock: Clock) -> dict[int, list[tuple[int, int, int]]]:
    """Enrolments (about three per learner) and exactly sizes["progress"] lesson rows.

    Returns, per learner, (course id, lessons reached, clock index of the last visit)."""
    total = sizes["progress"]
    per, extra = divmod(total, len(learners))
    enrolled: dict[int, list[tuple[int, int, int]]] = {}
    enrolments, progress, completions = [], [], []
    progress_id = 1
    times = clock.values
    last = len(times) - 1
    hour = clock.step_hour
    randrange, random_ = rng.randrange, rng.random
    for index, user_id in enumerate(learners):
        rows = per + (1 if index < extra else 0)
        k = max(3 if rows >= 3 else 1, math.ceil(rows / 10))
        courses = _pick_courses(content, rng, k)
        # The first course is finished (10 lessons), the others partly.
        split = [min(10, rows)]
        left = rows - split[0]
        for i in range(1, len(courses)):
            even = left // (len(courses) - i) + randrange(-2, 3)
            share = left if i == len(courses) - 1 else min(10, max(1, even))
            share = min(10, max(0, min(share, left)))
            split.append(share)
            left -= share
        while left > 0:  # more rows than the courses can take: more courses
            course = next(c for c in content.popular if c not in courses)
            courses.append(course)
            split.append(min(10, left))
            left -= split[-1]
        mine = enrolled[user_id] = []
        for course_id, reached in zip(courses, split, strict=True):
            lessons = content.lessons[course_id]
            reached = min(reached, len(lessons))
            start = randrange(0, max(1, last - 700 * hour))
            when = start
            completed_all = True
            for position in range(reached):
                when = min(last, when + randrange(hour, 60 * hour))
                done = position < reached - 1 or random_() < 0.8
                completed_all = completed_all and done
                stamp = times[when]
                progress.append((progress_id, user_id, course_id, lessons[position][0], stamp, stamp,
                                 stamp if done else None))
                progress_id += 1
            mine.append((course_id, reached, when))
            modules = content.modules[course_id]
            finished_modules = 0
            if has_progress and modules:
                per_module = len(lessons) // len(modules) or 1
                for m, module_id in enumerate(modules):
                    if reached >= (m + 1) * per_module and (completed_all or reached > (m + 1) * per_module):
                        completions.append((user_id, course_id, module_id, times[when]))
                        finished_modules += 1
            done_course = bool(modules) and finished_modules == len(modules)
            enrolments.append((user_id, course_id, times[start], times[when] if done_course else None,
                               times[when] if reached else None))
    loader.load("enrolments", ["user_id", "course_id", "enrolled_at", "completed_at", "last_activity_at"],
                enrolments, raw=True)
    del enrolments
    if has_progress:
        loader.load("lesson_progress", ["id", "user_id", "course_id", "lesson_id", "first_visit_at",
                                        "last_visit_at", "completed_at"], progress, raw=True)
        del progress
        loader.load("module_completions", ["user_id", "course_id", "module_id", "completed_at"], completions,
                    raw=True)
    else:
        result.skipped.append("lesson progress (no lms.progress models)")
    loader.commit()
    return enrolled


def _layout(content: Content, quiz_id: int, questions, rng) -> dict:
    from lms.quizzes.attempts import make_layout
    return make_layout(content.quiz_settings[quiz_id], questions, rng)


def _seed_attempts(loader: Loader, content: Content, enrolled, total: int, rng, clock: Clock) -> None:
    """Submitted attempts (with responses) by learners who reached the quiz; exactly `total`."""
    takers = [(user_id, course_id, when) for user_id, courses in enrolled.items()
              for course_id, reached, when in courses if reached >= 10 and course_id in content.quizzes]
    if not takers:
        return
    per, extra = divmod(total, len(takers))
    attempts, responses = [], []
    attempt_id = loader.next_id("quiz_attempts")
    response_id = loader.next_id("quiz_responses")
    layouts: dict[int, str] = {}
    right_json, wrong_json = json.dumps("right"), json.dumps("wrong")
    times = clock.values
    last = len(times) - 1
    random_ = rng.random
    for index, (user_id, course_id, when) in enumerate(takers):
        quiz_id, _module, questions = content.quizzes[course_id]
        pass_mark = content.quiz_settings[quiz_id].pass_mark
        ability = random_()
        if quiz_id not in layouts:
            # One shuffle per quiz: what matters here is the layout's size.
            layouts[quiz_id] = json.dumps(_layout(content, quiz_id, questions, rng))
        layout = layouts[quiz_id]
        for number in range(1, per + (1 if index < extra else 0) + 1):
            started = min(last, when + number * clock.step_hour)
            stamp = times[started]
            right = 0
            chance = min(0.95, 0.3 + ability * 0.6 + 0.05 * number)
            for question in questions:
                correct = random_() < chance
                right += correct
                responses.append((response_id, attempt_id, question.id, right_json if correct else wrong_json,
                                  stamp, 1.0 if correct else 0.0, 1.0 if correct else 0.0))
                response_id += 1
            score = 100.0 * right / len(questions) if questions else 0.0
            attempts.append((attempt_id, user_id, quiz_id, number, "submitted", stamp, None,
                             times[min(last, started + 1)], 0, score, int(score >= pass_mark), layout))
            attempt_id += 1
    loader.load("quiz_attempts", ["id", "user_id", "quiz_id", "number", "state", "started_at", "deadline",
                                  "submitted_at", "timed_out", "score", "passed", "layout"], attempts, raw=True)
    del attempts
    loader.load("quiz_responses", ["id", "attempt_id", "question_id", "response", "saved_at", "fraction", "score"],
                responses, raw=True)
    loader.commit()


def _seed_open_attempts(loader: Loader, content: Content, submitters: list[int], users,
                        rng) -> dict[str, list[int]]:
    """For the submission run: each submitter enrolled everywhere, with one open attempt per quiz."""
    emails = {row[0]: row[1] for row in users}
    attempts, responses, enrolments = [], [], []
    attempt_id = loader.next_id("quiz_attempts")
    response_id = loader.next_id("quiz_responses")
    pool: dict[str, list[int]] = {}
    for user_id in submitters:
        for course_id in content.course_ids:
            enrolments.append((user_id, course_id, NOW - timedelta(days=30), None, None))
            if course_id not in content.quizzes:
                continue
            quiz_id, _module, questions = content.quizzes[course_id]
            layout = _layout(content, quiz_id, questions, rng)
            attempts.append((attempt_id, user_id, quiz_id, 1, "in_progress", NOW, None, None, False, None, None,
                             layout))
            for question_id in layout["questions"]:
                responses.append((response_id, attempt_id, question_id, None, None, None, None))
                response_id += 1
            pool.setdefault(emails[user_id], []).append(attempt_id)
            attempt_id += 1
    loader.load("enrolments", ["user_id", "course_id", "enrolled_at", "completed_at", "last_activity_at"],
                enrolments)
    loader.load("quiz_attempts", ["id", "user_id", "quiz_id", "number", "state", "started_at", "deadline",
                                  "submitted_at", "timed_out", "score", "passed", "layout"], attempts)
    loader.load("quiz_responses", ["id", "attempt_id", "question_id", "response", "saved_at", "fraction", "score"],
                responses)
    loader.commit()
    return pool


def _seed_advice(app, db, loader: Loader, learners: list[int], experts: list[int], total: int, rng) -> None:
    """Queues, experts in them with expertise, and `total` requests in a realistic mix of states."""
    try:
        from lms.advice.bulk import PHASES, REGIONS, STATE_MIX, VALUE_CHAINS
    except ImportError:  # the constants as the advice package had them
        STATE_MIX = (("submitted", 0.08), ("claimed", 0.05), ("awaiting_learner", 0.03), ("answered", 0.08),
                     ("rejected", 0.02), ("merged", 0.01))
        REGIONS = ("mx-gt", "ec-co", "pe-co", "pe-cl", None)
        VALUE_CHAINS = ("smart-agriculture", "tourism", "cocoa", "fish-farming", "energy", None)
        PHASES = ("analysis", "priority_setting", "action_plan", "implementation", "monitoring")
    from lms.advice.seed import QUEUES

    queue_rows = [(n + 1, slug, names, descriptions, first, resolution, True, n + 1, NOW - timedelta(days=500))
                  for n, (slug, names, descriptions, first, resolution) in enumerate(QUEUES)]
    loader.load("advice_queues", ["id", "slug", "names", "descriptions", "first_response_hours",
                                  "resolution_hours", "active", "position", "created_at"], queue_rows)
    queue_ids = [row[0] for row in queue_rows]
    hours = {row[0]: (row[4], row[5]) for row in queue_rows}
    members, expertise = [], []
    queue_experts: dict[int, list[int]] = {q: [] for q in queue_ids}
    for index, queue_id in enumerate(queue_ids):
        members.append((queue_id, experts[index % len(experts)], "coordinator"))
    for n, expert_id in enumerate(experts):
        # expert1 (the inbox run) is in every queue: the busiest inbox.
        mine = queue_ids if n == 0 else rng.sample(queue_ids, k=min(len(queue_ids), 2 + n % 2))
        for queue_id in mine:
            members.append((queue_id, expert_id, "expert"))
            queue_experts[queue_id].append(expert_id)
        expertise += [(expert_id, "region", REGIONS[n % 4]), (expert_id, "value_chain", VALUE_CHAINS[n % 5]),
                      (expert_id, "language", "es")]
    loader.load("advice_queue_members", ["queue_id", "user_id", "role"], members)
    if loader.has("advice_expertise"):
        loader.load("advice_expertise", ["user_id", "kind", "code"], expertise)

    cumulative, running = [], 0.0
    for state, share in STATE_MIX:
        running += share
        cumulative.append((running, state))
    requests, messages, events = [], [], []
    request_id = 1
    for _ in range(total):
        queue_id = queue_ids[rng.randrange(len(queue_ids))]
        roll = rng.random()
        state = next((s for limit, s in cumulative if roll < limit), "closed")
        open_request = state in ("submitted", "claimed", "awaiting_learner")
        created = NOW - timedelta(hours=rng.randint(1, 24 * 20) if open_request else rng.randint(24, 24 * 365))
        claimant = rng.choice(queue_experts[queue_id]) if state != "submitted" else None
        first = rng.randint(600, 72 * 3600) if state not in ("submitted", "claimed") else None
        resolution = rng.randint(3600, 300 * 3600) if state in ("answered", "closed") else None
        first_hours, resolution_hours = hours[queue_id]
        learner = learners[rng.randrange(len(learners))]
        language = "es" if rng.random() < 0.7 else "en"
        requests.append((
            request_id, learner, queue_id, f"Request {request_id}: from analysis to an action plan",
            REGIONS[rng.randrange(len(REGIONS))], VALUE_CHAINS[rng.randrange(len(VALUE_CHAINS))],
            PHASES[rng.randrange(len(PHASES))], language, None, False, state, claimant,
            created if claimant else None, NOW + timedelta(hours=24) if state == "claimed" else None,
            created, created, created + timedelta(hours=first_hours),
            created + timedelta(seconds=first) if first else None, first,
            created + timedelta(hours=resolution_hours), resolution or 0,
            created if state in ("submitted", "claimed") else None, resolution,
            NOW - timedelta(hours=rng.randint(1, 200)) if state == "awaiting_learner" else None,
            created + timedelta(seconds=resolution) if resolution else None,
            created + timedelta(days=15) if state in ("closed", "rejected", "merged") else None,
            rng.randint(1, 5) if state == "closed" and rng.random() < 0.4 else None))
        body = (f"Pregunta {request_id}: ¿cómo pasa nuestra región del análisis a un plan de acción?"
                if language == "es"
                else f"Question {request_id}: how does our region move from analysis to an action plan?")
        messages.append((request_id, request_id, learner, "question", body, f"<p>{body}</p>", 1, created))
        events.append((request_id, request_id, learner, "submit", None, "submitted", created))
        request_id += 1
    loader.load("advice_requests", [
        "id", "learner_id", "queue_id", "title", "region", "value_chain", "phase", "language", "lesson_id",
        "publish_consent", "state", "claimed_by_id", "claimed_at", "lease_expires_at", "created_at", "updated_at",
        "first_response_due_at", "first_response_at", "first_response_seconds", "resolution_due_at",
        "active_seconds", "active_since", "resolution_seconds", "awaiting_since", "answered_at", "closed_at",
        "rating"], requests)
    loader.load("advice_messages", ["id", "request_id", "author_id", "kind", "body_markdown", "body_html",
                                    "version", "created_at"], messages)
    loader.load("advice_events", ["id", "request_id", "actor_id", "kind", "from_state", "to_state", "created_at"],
                events)
    loader.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "bench.sqlite"),
                        help="SQLite file when no --database-url (replaced)")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--reset", action="store_true", help="drop the tables of a non-SQLite database first")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{Path(args.out).resolve()}"
    seeded = seed(url, scale=args.scale, reset=args.reset)
    print(json.dumps(seeded.counts, indent=1))
    for note in seeded.skipped:
        print(f"skipped: {note}")
    print(f"seeded in {seeded.seconds:.1f} s")


if __name__ == "__main__":
    main()
