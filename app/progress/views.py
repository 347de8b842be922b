"""HTML routes of the progress feature: the progress page, a question's history, import."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from app.auth.deps import PageUser, load_user
from app.db import SessionDep
from app.errors import AppError
from app.i18n import request_language, translate
from app.practice.settings import user_time_zone
from app.progress import statistics, transfer
from app.progress.schemas import ProgressRead, QuestionHistoryRead
from app.web import render, verify_csrf

router = APIRouter(dependencies=[Depends(verify_csrf), Depends(load_user)], include_in_schema=False)

TZ_COOKIE = "mogi_tz"
"""Set by progress.js to the browser's offset from UTC in minutes, so days end at local midnight."""

RATING_LABELS = {1: "다시", 2: "어려움", 3: "좋음", 4: "쉬움"}
MODE_LABELS = {"review": "일반 복습", "cram": "벼락치기", "mock": "모의 면접"}
STATE_LABELS = {1: "학습 중", 2: "복습 단계", 3: "재학습"}


def tz_offset(request: Request) -> int:
    """The browser's offset from the cookie progress.js sets; UTC until it has run once."""
    raw = request.cookies.get(TZ_COOKIE, "")
    try:
        value = int(raw)
    except ValueError:
        return 0
    return value if -14 * 60 <= value <= 14 * 60 else 0


def _labels(request: Request) -> dict[str, Any]:
    """Words progress.js draws into charts, in the page's language."""
    lang = request_language(request)

    def t(text: str) -> str:
        return translate(text, lang)

    return {
        "reviews": t("복습 수"),
        "retention": t("유지율"),
        "day": t("날짜"),
        "week": t("주"),
        "interval": t("간격(일)"),
        "stability": t("안정성(일)"),
        "less": t("적음"),
        "more": t("많음"),
        "none": t("복습 없음"),
        "count": t("{n}회"),
        "months": [t(m) for m in _MONTHS],
        "lang": lang,
    }


_MONTHS = ("1월", "2월", "3월", "4월", "5월", "6월", "7월", "8월", "9월", "10월", "11월", "12월")


def _chart_data(progress: ProgressRead) -> dict[str, Any]:
    return {
        "tz": progress.tz_offset_minutes,
        "days": [[d.date.isoformat(), d.reviews] for d in progress.reviews_per_day],
        "weekly": [
            [w.week_start.isoformat(), w.reviews, w.retention] for w in progress.retention.weekly
        ],
    }


@router.get("/progress")
def progress_page(request: Request, user: PageUser, session: SessionDep) -> Response:
    """The progress page: numbers, calendar, charts, mastery, weakest questions, your data."""
    progress = statistics.get_progress(session, user, tz_offset_minutes=tz_offset(request))
    active_days = sum(1 for d in progress.reviews_per_day if d.reviews)
    return render(
        request,
        "progress/index.html",
        {
            "progress": progress,
            "active_days": active_days,
            "year_reviews": sum(d.reviews for d in progress.reviews_per_day),
            "recent_days": list(reversed(progress.reviews_per_day[-14:])),
            "chart_data": _chart_data(progress),
            "labels": _labels(request),
            "rating_labels": RATING_LABELS,
            "state_labels": STATE_LABELS,
            "max_import_mib": transfer.MAX_IMPORT_BYTES // (1024 * 1024),
            "time_zone": user_time_zone(session, user.id),
        },
    )


def _history_chart(history: QuestionHistoryRead) -> dict[str, Any]:
    return {
        "reviews": [
            [r.reviewed_at.isoformat(), r.interval_days, r.stability, r.rating]
            for r in history.reviews
            if r.scheduled
        ],
    }


@router.get("/progress/questions/{pack}/{number}")
def question_history_page(
    request: Request, pack: str, number: str, user: PageUser, session: SessionDep
) -> Response:
    """One question's grades over time, with its card's state now."""
    history = statistics.get_question_history(session, user, pack, number)
    return render(
        request,
        "progress/question.html",
        {
            "history": history,
            "chart_data": _history_chart(history),
            "labels": _labels(request),
            "rating_labels": RATING_LABELS,
            "mode_labels": MODE_LABELS,
            "state_labels": STATE_LABELS,
            "time_zone": user_time_zone(session, user.id),
        },
    )


# The form is parsed (and a file spooled) before the handler runs: cap the body up front.
@router.post("/progress/import", max_body_size=transfer.MAX_IMPORT_BYTES + 1024 * 1024)
async def import_page(
    request: Request,
    user: PageUser,
    session: SessionDep,
    file: Annotated[UploadFile | None, File()] = None,
    skip_unknown: Annotated[bool, Form()] = False,
) -> Response:
    """The import form's target: merge the uploaded export, then show what changed."""
    try:
        if file is None or not file.filename:
            raise AppError(
                "no_file",
                en="Choose an export file to import.",
                ko="가져올 내보내기 파일을 고르세요.",
                status=422,
                field="file",
            )
        if file.size is not None and file.size > transfer.MAX_IMPORT_BYTES:
            raise transfer.too_large(file.size)
        document = transfer.parse_export(await file.read(transfer.MAX_IMPORT_BYTES + 1))
        result = await run_in_threadpool(
            transfer.import_export, session, user, document, skip_unknown=skip_unknown
        )
    except AppError as exc:
        # Undo any partial import here, while the session can still show the page.
        session.rollback()
        context = {
            "error": exc.localized(request_language(request)),
            "unknown": exc.extra.get("unknown_questions", []),
            "skip_unknown": skip_unknown,
            "max_import_mib": transfer.MAX_IMPORT_BYTES // (1024 * 1024),
        }
        return render(request, "progress/import_result.html", context, exc.status_code)
    return render(
        request,
        "progress/import_result.html",
        {"result": result, "source_user": document.user.username},
    )
