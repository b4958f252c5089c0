"""Alembic environment: the database URL comes from XUNCHA_DATABASE_URL (or the caller's config)."""

from alembic import context
from sqlmodel import SQLModel

from app.core.config import get_settings
from app.core.db import make_engine
from app.models import outside_models  # importing registers every table

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    engine = make_engine(url)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=outside_models,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
