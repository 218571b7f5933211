"""Alembic environment: runs migrations on the connection tracklog hands over."""

from alembic import context

from tracklog.models import Base

target_metadata = Base.metadata


def run_migrations() -> None:
    """Migrate over the connection given in the Alembic config's attributes."""
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
