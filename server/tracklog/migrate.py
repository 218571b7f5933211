"""Running the Alembic migrations carried in the package (tracklog.migrations)."""

from __future__ import annotations

from importlib.resources import files

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine


def alembic_config(connection: Connection | None = None) -> AlembicConfig:
    """An Alembic configuration pointing at the packaged migrations."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(files("tracklog.migrations")))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database up to a revision (the newest by default)."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate the database down to a revision ('base' removes every table)."""
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None before the first migration."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision the package carries."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
