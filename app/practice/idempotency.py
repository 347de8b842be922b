"""Grades sent with an `Idempotency-Key`: a retried request never records a grade twice.

A client whose connection dropped after sending a grade cannot know whether it was recorded.
It sends the same request again with the same key: the first time grades and stores the
answer with the key, in the grade's own transaction; every later time answers the stored
response. Keys are per user and kept for a day.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.auth.models import User
from app.db import utcnow
from app.errors import AppError
from app.practice import repository as repo
from app.practice import service
from app.practice.models import GradeRequest
from app.practice.schemas import ReviewCreate, ReviewRead

KEY_LIFETIME = timedelta(hours=24)
KEY_PATTERN = r"^[\x21-\x7e]{1,128}$"
"""1-128 visible ASCII characters (a UUID, say)."""


def grade_once(db: Session, user: User, body: ReviewCreate, key: str | None) -> ReviewRead:
    """service.grade, unless this user already sent `key`: then the stored answer."""
    if key is None:
        return service.grade(db, user, body)
    body_hash = hashlib.sha256(body.model_dump_json().encode()).hexdigest()
    earlier = repo.get_grade_request(db, user.id, key)
    if earlier is not None:
        return _replay(earlier, body_hash)
    request = GradeRequest(user_id=user.id, key=key, body_hash=body_hash)
    try:
        repo.add_grade_request(db, request)
    except IntegrityError:
        # Another request with this key is grading right now; once it has committed, a
        # retry gets its answer.
        raise AppError(
            "idempotency_in_progress",
            en="A request with this Idempotency-Key is still being processed; retry it shortly.",
            ko="이 Idempotency-Key의 요청을 아직 처리하고 있습니다. 잠시 후 다시 보내세요.",
            status=409,
            headers={"Retry-After": "1"},
        ) from None
    result = service.grade(db, user, body)
    request.response = result.model_dump(mode="json")
    repo.delete_grade_requests_before(db, user.id, utcnow() - KEY_LIFETIME)
    return result


def _replay(earlier: GradeRequest, body_hash: str) -> ReviewRead:
    if earlier.body_hash != body_hash:
        raise AppError(
            "idempotency_key_reused",
            en="This Idempotency-Key was already used for a different grade; "
            "use a new key for a new request.",
            ko="이 Idempotency-Key는 다른 채점에 이미 쓰였습니다. 새 요청에는 새 키를 쓰세요.",
            status=422,
        )
    return ReviewRead.model_validate(earlier.response)
