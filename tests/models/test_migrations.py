"""Migrations go up and down on SQLite and PostgreSQL and match the models exactly."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect, text

from tests.services import fresh_postgres_database, postgres_reason, unavailable
from tracklog.migrate import alembic_config, current_revision, downgrade, head_revision, upgrade
from tracklog.models import Base


@pytest.fixture(params=["sqlite", "postgres"])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a brand-new, empty database of each kind."""
    if request.param == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path / 'migrate.db'}")
        yield engine
        engine.dispose()
        return
    reason = postgres_reason()
    if reason:
        unavailable("PostgreSQL", reason)
    with fresh_postgres_database() as url:
        engine = create_engine(url)
        yield engine
        engine.dispose()


def test_upgrade_to_head_then_down_to_base(empty_engine: Engine):
    upgrade(empty_engine)
    assert current_revision(empty_engine) == head_revision()
    assert set(Base.metadata.tables) <= set(inspect(empty_engine).get_table_names())
    downgrade(empty_engine, "base")
    assert current_revision(empty_engine) is None
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}
    upgrade(empty_engine)
    assert current_revision(empty_engine) == head_revision()


def test_each_revision_downgrades_one_step(empty_engine: Engine):
    script = ScriptDirectory.from_config(alembic_config())
    revisions = [rev.revision for rev in script.walk_revisions()][::-1]
    for revision in revisions:
        upgrade(empty_engine, revision)
        assert current_revision(empty_engine) == revision
    for revision in reversed(revisions):
        assert current_revision(empty_engine) == revision
        downgrade(empty_engine, "-1")


def test_models_and_migrations_do_not_differ(empty_engine: Engine):
    upgrade(empty_engine)
    with empty_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == [], "the models changed without a migration: run alembic revision"


def test_one_linear_history():
    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1


def test_hot_reads_have_indexes(empty_engine: Engine):
    upgrade(empty_engine)
    inspector = inspect(empty_engine)
    timeline = {
        ix["name"]: ix["column_names"] for ix in inspector.get_indexes("activity_association")
    }
    assert timeline["ix_activity_association_timeline"] == [
        "account_id",
        "record_type",
        "record_id",
        "occurred_at",
        "activity_id",
    ]
    contact_unique = [u["column_names"] for u in inspector.get_unique_constraints("contact")]
    assert ["account_id", "email"] in contact_unique
    activity_unique = [u["column_names"] for u in inspector.get_unique_constraints("activity")]
    assert ["account_id", "message_id"] in activity_unique
    message = {ix["name"]: ix["column_names"] for ix in inspector.get_indexes("message")}
    assert message["ix_message_activity_id"] == ["activity_id"]


def test_upgrade_keeps_existing_rows(empty_engine: Engine):
    upgrade(empty_engine, "0002")
    with empty_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO account (name, bcc_key, log_by_default, track_by_default,"
                " create_contacts, default_association_types, max_associated_deals,"
                " max_associated_tickets, privacy_mode, attachment_size_limit, created_at)"
                " VALUES ('A', 'k', true, true, true, '[]', 5, 5, false, 1, CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO activity (account_id, type, subject, body_html, body_text,"
                " occurred_at, created_at) VALUES (1, 'note', 's', '', '', CURRENT_TIMESTAMP,"
                " CURRENT_TIMESTAMP)"
            )
        )
    upgrade(empty_engine)
    with empty_engine.connect() as connection:
        row = connection.execute(text("SELECT recipients, warnings FROM activity")).one()
    assert [json.loads(value) if isinstance(value, str) else value for value in row] == [[], []]
