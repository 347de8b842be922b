"""HTML routes of the content feature."""

from fastapi import APIRouter, Depends

from app.auth.deps import load_user
from app.web import verify_csrf

router = APIRouter(dependencies=[Depends(verify_csrf), Depends(load_user)], include_in_schema=False)
