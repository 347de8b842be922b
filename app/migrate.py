"""Alembic, driven from code: the only way Mogi's schema is made."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from app.config import PROJECT_ROOT, get_settings


def alembic_config(database_url: str | None = None) -> Config:
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    cfg.attributes["database_url"] = database_url or get_settings().database_url
    return cfg


def upgrade_to_head(database_url: str | None = None) -> None:
    """Apply every migration not yet applied to the database."""
    command.upgrade(alembic_config(database_url), "head")
