"""Alembic environment: the URL comes from Mogi's settings (or the caller), never the ini."""

from __future__ import annotations

from alembic import context

from app.db import make_engine
from app.models_registry import metadata

config = context.config


def run_migrations_online() -> None:
    url = config.attributes.get("database_url")
    if not url:
        from app.config import get_settings

        url = get_settings().database_url
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
