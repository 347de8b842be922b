"""The demos' errors, each with its code and both languages."""

from __future__ import annotations

from typing import Any

from app.errors import AppError, NotFound


def invalid_parameter(
    where: str, message: str, extra: dict[str, Any], message_ko: str | None = None
) -> AppError:
    """A 422 naming the parameter, with the catalogue's reason in each language."""
    return AppError(
        "invalid_parameter",
        en="{where}: {message}",
        ko="{where} 값이 올바르지 않습니다: {message_ko}",
        status=422,
        extra=extra,
        where=where,
        message=message,
        message_ko=message_ko or message,
    )


def too_many_runs(limit: int, retry_after_s: int) -> AppError:
    return AppError(
        "too_many_runs",
        en="You already have {n} demo runs queued or running; wait for one to finish or cancel it.",
        ko="대기 중이거나 실행 중인 데모가 이미 {n}개입니다. "
        "하나가 끝나기를 기다리거나 취소하세요.",
        status=429,
        headers={"Retry-After": str(retry_after_s)},
        extra={"limit": limit, "scope": "user"},
        n=limit,
    )


def queue_full(limit: int, retry_after_s: int) -> AppError:
    return AppError(
        "queue_full",
        en="The demo queue is full; try again shortly.",
        ko="데모 대기열이 가득 찼습니다. 잠시 후 다시 시도하세요.",
        status=429,
        headers={"Retry-After": str(retry_after_s)},
        extra={"limit": limit, "scope": "queue"},
    )


def run_not_found() -> AppError:
    return NotFound("No such demo run.", "그런 데모 실행이 없습니다.")


def no_model_yet(status: str) -> AppError:
    return AppError(
        "no_model_yet",
        en="The run has no trained model yet.",
        ko="이 실행에는 아직 학습된 모델이 없습니다.",
        status=409,
        extra={"status": status},
    )


def no_variant_model() -> AppError:
    return NotFound(
        "This run has no model for that variant.", "이 실행에는 그 변형의 모델이 없습니다."
    )
