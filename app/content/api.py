"""JSON routes of the content feature (under /api/v1)."""

from fastapi import APIRouter

router = APIRouter()
