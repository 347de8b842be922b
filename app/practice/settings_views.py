"""The review settings page: retention, daily limits, steps, time zone, mock grades."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from app import local_time
from app.auth.deps import PageUser, load_user
from app.db import SessionDep
from app.i18n import request_language
from app.practice import settings as review_settings
from app.web import render, verify_csrf

router = APIRouter(dependencies=[Depends(verify_csrf), Depends(load_user)], include_in_schema=False)


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


SettingText = Annotated[str, Form(max_length=200)]
# Offered as suggestions; any IANA name is accepted.
COMMON_TIME_ZONES = (
    "Asia/Seoul",
    "Asia/Tokyo",
    "Asia/Shanghai",
    "Asia/Singapore",
    "Asia/Kolkata",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "Australia/Sydney",
    "UTC",
)


def _settings_page(
    request: Request,
    values: dict[str, str],
    settings: review_settings.ReviewSettings,
    errors: dict[str, str] | None = None,
    saved: bool = False,
) -> Response:
    context = {
        "values": values,
        "errors": errors or {},
        "saved": saved,
        "fitted_weights": settings.fsrs_parameters is not None,
        "day_starts_at_hour": local_time.DAY_STARTS_AT_HOUR,
        "time_zones": COMMON_TIME_ZONES,
    }
    return render(request, "practice/settings.html", context, status_code=422 if errors else 200)


@router.get("/practice/settings")
def settings_page(request: Request, user: PageUser, db: SessionDep, saved: str = "") -> Response:
    """The review settings form: retention, daily limits, steps, time zone, mock grades."""
    settings = review_settings.settings_for(db, user.id)
    values = review_settings.form_values(settings)
    return _settings_page(request, values, settings, saved=saved == "1")


@router.post("/practice/settings")
def save_settings_form(
    request: Request,
    user: PageUser,
    db: SessionDep,
    desired_retention: SettingText = "",
    new_per_day: SettingText = "",
    reviews_per_day: SettingText = "",
    learning_steps: SettingText = "",
    relearning_steps: SettingText = "",
    time_zone: SettingText = "",
    mock_schedules: SettingText = "",
) -> Response:
    """Save the form; a bad value is shown next to its field with everything typed kept."""
    typed = {
        "desired_retention": desired_retention,
        "new_per_day": new_per_day,
        "reviews_per_day": reviews_per_day,
        "learning_steps": learning_steps,
        "relearning_steps": relearning_steps,
        "time_zone": time_zone,
        "mock_schedules": mock_schedules,
    }
    try:
        changes = review_settings.read_form(typed)
    except review_settings.SettingsFormInvalid as exc:
        lang = request_language(request)
        errors = {name: problem.message(lang) for name, problem in exc.errors.items()}
        settings = review_settings.settings_for(db, user.id)
        return _settings_page(request, typed, settings, errors)
    review_settings.update_settings(db, user.id, changes)
    return _see_other("/practice/settings?saved=1")
