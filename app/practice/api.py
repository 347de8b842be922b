"""JSON routes of the practice feature (under /api/v1)."""

from fastapi import APIRouter

router = APIRouter()
