"""Imports every feature's tables so Base.metadata knows them all (Alembic, tests)."""

from app.db import Base

_TABLES = (
    "app.content.models",
    "app.auth.models",
    "app.practice.models",
    "app.demos.models",
    "app.practice.optimisation.models",
)
for _name in _TABLES:
    try:
        __import__(_name)
    except ModuleNotFoundError as exc:  # a feature without tables yet
        if exc.name != _name:
            raise

metadata = Base.metadata
