"""This installation's key: what tells its events apart from another's on a shared Redis."""

from __future__ import annotations

import uuid

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from tracklog.extensions import db
from tracklog.models import Installation

INSTALLATION_ID = 1


def installation_key() -> str:
    """The key of the installation this database belongs to, made on first use.

    Read on a connection of its own, so the caller's session and transaction are left alone.
    """
    query = select(Installation.key).where(Installation.id == INSTALLATION_ID)
    with db.engine.connect() as connection:
        key = connection.scalar(query)
    if key is not None:
        return key
    try:
        with db.engine.begin() as connection:
            connection.execute(
                insert(Installation).values(id=INSTALLATION_ID, key=uuid.uuid4().hex)
            )
    except IntegrityError:
        pass  # another process made it first
    with db.engine.connect() as connection:
        return connection.scalar(query)
