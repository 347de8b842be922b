"""JSON routes of the demos feature (under /api/v1)."""

from fastapi import APIRouter

router = APIRouter()
