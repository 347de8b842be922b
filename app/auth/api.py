"""JSON routes of the auth feature (under /api/v1)."""

from fastapi import APIRouter

router = APIRouter()
