"""Alembic migrations of the tracklog schema, carried inside the package as tracklog.migrations."""
