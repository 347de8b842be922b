"""Export of a user's data (JSON and CSV) and its import, here and into a fresh instance."""

from __future__ import annotations

import copy
import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.content.models import Question
from app.practice.models import ReviewLog, UserAnswer
from app.progress import transfer
from tests.factories import make_user, make_web_session, new_api_user
from tests.progress.conftest import (
    PACK,
    ApiUser,
    add_card,
    add_review,
    live_numbers,
    question_id,
)

THEN = datetime(2026, 5, 1, 9, 30, 15, 123456, tzinfo=UTC)


def _practise_in_a_session(client: Any, who: ApiUser) -> None:
    """Two cards of a real session through the practice API: reveal, type, grade."""
    started = client.post(
        "/api/v1/sessions",
        json={"scope": {"pack": PACK, "kind": "all"}, "mode": "review"},
        headers=who.headers,
    )
    assert started.status_code == 201, started.text
    session_id = started.json()["id"]
    for rating in (3, 1):
        card = client.get(f"/api/v1/sessions/{session_id}/next", headers=who.headers)
        assert card.status_code == 200, card.text
        question = card.json()["question"]
        ref = question if isinstance(question, str) else question["id"]
        revealed = client.post(
            f"/api/v1/sessions/{session_id}/reveal",
            json={"answer_text": "과적합을 막기 위해 **정규화**를 씁니다"},
            headers=who.headers,
        )
        assert revealed.status_code == 200, revealed.text
        graded = client.post(
            "/api/v1/reviews",
            json={"question": ref, "rating": rating, "session": session_id, "duration_ms": 4200},
            headers=who.headers,
        )
        assert graded.status_code == 201, graded.text


@pytest.fixture
def rich(client: Any, db: Session, alice: ApiUser) -> ApiUser:
    """alice with every kind of data: a session, old reviews, cram, bookmark, note, own answer."""
    _practise_in_a_session(client, alice)
    numbers = live_numbers(db, 12)
    q_old, q_cram = numbers[10], numbers[11]
    card = add_card(db, alice, q_old, last_review=THEN, due=THEN + timedelta(days=9), reps=2)
    add_review(db, alice, q_old, THEN - timedelta(days=3), 3, state_after=1, card=card)
    add_review(db, alice, q_old, THEN, 4, card=card, answer_text='쉼표, "따옴표"\n줄바꿈')
    add_review(db, alice, q_cram, THEN + timedelta(hours=1), 2, mode="cram", duration_ms=None)
    put = client.put(f"/api/v1/questions/{PACK}/{q_old}/bookmark", headers=alice.headers)
    assert put.status_code in (200, 201), put.text
    note = client.put(
        f"/api/v1/questions/{PACK}/{q_old}/note",
        json={"body": "면접 전에 다시 볼 것"},
        headers=alice.headers,
    )
    assert note.status_code in (200, 201), note.text
    db.add(
        UserAnswer(
            user_id=alice.user.id,
            question_id=question_id(db, q_cram),
            body_markdown="내 답: *드롭아웃*",
            body_html="<p>내 답: <em>드롭아웃</em></p>",
        )
    )
    db.commit()
    return alice


def _export(client: Any, who: ApiUser) -> dict[str, Any]:
    response = client.get("/api/v1/export", headers=who.headers)
    assert response.status_code == 200, response.text
    return response.json()


def _import(client: Any, who: ApiUser, body: Any, **params: Any) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(
        "/api/v1/import",
        content=raw,
        params=params,
        headers={**who.headers, "Content-Type": "application/json"},
    )


def _data(document: dict[str, Any]) -> dict[str, Any]:
    """The part of an export that must survive a move: all but who and when."""
    return {k: v for k, v in document.items() if k not in ("exported_at", "user")}


def _review_count(db: Session, who: ApiUser) -> int:
    db.expire_all()
    stmt = select(func.count(ReviewLog.id)).where(ReviewLog.user_id == who.user.id)
    return int(db.scalar(stmt) or 0)


def test_export_names_questions_never_ids(client: Any, db: Session, rich: ApiUser) -> None:
    doc = _export(client, rich)
    assert doc["format"] == "mogi-export" and doc["version"] == 1
    assert doc["user"] == {"username": rich.user.username}
    assert len(doc["reviews"]) == _review_count(db, rich) == 5
    assert len(doc["cards"]) == 3 and len(doc["sessions"]) == 1
    assert len(doc["sessions"][0]["items"]) >= 2
    assert {r["session"] for r in doc["reviews"]} == {0, None}
    assert len(doc["bookmarks"]) == len(doc["notes"]) == len(doc["answers"]) == 1
    refs = [
        row["question"]
        for key in ("cards", "reviews", "notes", "bookmarks", "answers")
        for row in doc[key]
    ]
    assert all(ref.startswith(f"{PACK}/") for ref in refs)
    text = json.dumps(doc)
    for forbidden in ('"id"', '"user_id"', '"question_id"', '"card_id"', '"session_id"'):
        assert forbidden not in text
    cram = next(r for r in doc["reviews"] if r["mode"] == "cram")
    assert cram["scheduled"] is False and cram["state"] is None
    assert doc["notes"][0]["body"] == "면접 전에 다시 볼 것"


def test_reviews_csv(client: Any, db: Session, rich: ApiUser) -> None:
    response = client.get("/api/v1/export/reviews.csv", headers=rich.headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 5
    assert list(rows[0]) == [
        "reviewed_at",
        "question",
        "rating",
        "mode",
        "duration_ms",
        "answer_text",
    ]
    quoted = next(r for r in rows if r["answer_text"].startswith("쉼표"))
    assert quoted["answer_text"] == '쉼표, "따옴표"\n줄바꿈'
    assert quoted["rating"] == "4" and quoted["mode"] == "review"
    assert datetime.fromisoformat(quoted["reviewed_at"]) == THEN
    assert [r["reviewed_at"] for r in rows] == sorted(r["reviewed_at"] for r in rows)


def test_export_into_a_fresh_instance_loses_nothing(
    client: Any, rich: ApiUser, second_database: Any
) -> None:
    original = _export(client, rich)
    document = transfer.parse_export(json.dumps(original).encode())
    with second_database() as other:
        newcomer = make_user(other, username="moved_" + rich.user.username[-10:])
        result = transfer.import_export(other, newcomer, document)
        other.commit()
        assert result.reviews.added == 5 and result.cards.added == 3
        assert result.sessions.added == 1 and result.skipped_questions == []
        moved = transfer.build_export(other, newcomer).model_dump(mode="json")
        assert _data(moved) == _data(original)

        again = transfer.import_export(other, newcomer, document)
        other.commit()
        assert again.reviews.added == again.cards.added == again.sessions.added == 0
        assert again.notes.added == again.bookmarks.added == again.answers.added == 0
        twice = transfer.build_export(other, newcomer).model_dump(mode="json")
        assert _data(twice) == _data(original)


def test_import_through_the_api_is_idempotent(
    client: Any, db: Session, rich: ApiUser, bob: ApiUser
) -> None:
    original = _export(client, rich)
    first = _import(client, bob, original)
    assert first.status_code == 200, first.text
    assert first.json()["reviews"] == {"added": 5, "updated": 0, "unchanged": 0}
    second = _import(client, bob, original)
    assert second.status_code == 200
    body = second.json()
    assert body["reviews"] == {"added": 0, "updated": 0, "unchanged": 5}
    assert all(
        body[k]["added"] == 0 and body[k]["updated"] == 0
        for k in ("cards", "notes", "bookmarks", "answers", "sessions")
    )
    assert _review_count(db, bob) == 5
    assert _data(_export(client, bob)) == _data(original)
    # Importing into the account it came from changes nothing either.
    assert _import(client, rich, original).json()["reviews"]["added"] == 0
    assert _data(_export(client, rich)) == _data(original)


def test_imported_progress_matches(client: Any, rich: ApiUser, bob: ApiUser) -> None:
    _import(client, bob, _export(client, rich))
    mine = client.get("/api/v1/progress", headers=rich.headers).json()
    theirs = client.get("/api/v1/progress", headers=bob.headers).json()
    for key in ("totals", "due", "reviews_per_day", "streak", "retention"):
        assert mine[key] == theirs[key]


def test_card_takes_the_newer_state(client: Any, db: Session, bob: ApiUser) -> None:
    (number,) = live_numbers(db, 1)
    add_card(db, bob, number, stability=2.0, last_review=THEN, due=THEN + timedelta(days=2))
    base = _export(client, bob)
    newer, older = copy.deepcopy(base), copy.deepcopy(base)
    newer["cards"][0].update(stability=9.0, last_review=(THEN + timedelta(days=1)).isoformat())
    older["cards"][0].update(stability=1.0, last_review=(THEN - timedelta(days=1)).isoformat())
    assert _import(client, bob, older).json()["cards"] == {"added": 0, "updated": 0, "unchanged": 1}
    assert _export(client, bob)["cards"][0]["stability"] == 2.0
    assert _import(client, bob, newer).json()["cards"] == {"added": 0, "updated": 1, "unchanged": 0}
    assert _export(client, bob)["cards"][0]["stability"] == 9.0


def _one_review_doc(ref: str, **review: Any) -> dict[str, Any]:
    row = {"question": ref, "reviewed_at": THEN.isoformat(), "rating": 3, "mode": "review"}
    row.update(review)
    return {
        "format": "mogi-export",
        "version": 1,
        "exported_at": THEN.isoformat(),
        "user": {"username": "someone"},
        "reviews": [row],
    }


def _snapshot(**fields: Any) -> str:
    """A card_before as a grade stores it (the card as it was before), with fields changed."""
    return json.dumps({
        "state": 2, "step": None, "stability": 3.0, "difficulty": 5.0,
        "due": THEN.isoformat(), "last_review": None, "reps": 1, "lapses": 0, **fields,
    })  # fmt: skip


BAD_IMPORTS = [
    ("format", lambda d: d.update(format="anki-deck"), 422, "Not a Mogi export"),
    ("version", lambda d: d.update(version=2), 422, "version 2 is not supported"),
    ("rating", lambda d: d["reviews"][0].update(rating=7), 422, "reviews.0.rating"),
    ("mode", lambda d: d["reviews"][0].update(mode="speed"), 422, "reviews.0.mode"),
    ("ref", lambda d: d["reviews"][0].update(question="no-slash"), 422, "pack/number"),
    ("extra", lambda d: d.update(cards=[{"question": f"{PACK}/1"}]), 422, "cards.0"),
    ("session", lambda d: d["reviews"][0].update(session=3), 422, "no session 3"),
    ("snapshot", lambda d: d["reviews"][0].update(card_before="{}"), 422, "card_before"),
    (
        "snapshot not json",
        lambda d: d["reviews"][0].update(card_before="{state: 2"),
        422,
        "card_before must be a JSON object",
    ),
    (
        "snapshot bad time",
        lambda d: d["reviews"][0].update(card_before=_snapshot(last_review="yesterday")),
        422,
        "card_before has a bad value",
    ),
    # A time without its zone could be any of 24 instants: refused, never guessed.
    (
        "naive time",
        lambda d: d["reviews"][0].update(reviewed_at="2026-01-02T03:04:05"),
        422,
        "reviews.0.reviewed_at",
    ),
]


@pytest.mark.parametrize(
    ("case", "spoil", "status", "message"), BAD_IMPORTS, ids=[b[0] for b in BAD_IMPORTS]
)
def test_bad_import_is_refused_and_changes_nothing(
    client: Any, db: Session, bob: ApiUser, case: str, spoil: Any, status: int, message: str
) -> None:
    add_review(db, bob, "1", THEN - timedelta(days=1), 3)
    before = _export(client, bob)
    doc = _one_review_doc(f"{PACK}/2")
    spoil(doc)
    response = _import(client, bob, doc)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert message in response.json()["detail"]
    assert _data(_export(client, bob)) == _data(before)


def test_not_json_is_422(client: Any, bob: ApiUser) -> None:
    response = _import(client, bob, b"\x89PNG not json")
    assert response.status_code == 422 and "not JSON" in response.json()["detail"]


def test_unknown_question_is_reported_and_nothing_is_written(
    client: Any, db: Session, bob: ApiUser
) -> None:
    doc = _one_review_doc(f"{PACK}/2")
    doc["reviews"].append({**doc["reviews"][0], "question": f"{PACK}/999-9"})
    doc["bookmarks"] = [{"question": "other-pack/1", "created_at": THEN.isoformat()}]
    response = _import(client, bob, doc)
    assert response.status_code == 422
    body = response.json()
    assert body["unknown_questions"] == [f"{PACK}/999-9", "other-pack/1"]
    assert body["unknown_packs"] == ["other-pack"]
    assert "Nothing was imported" in body["detail"]
    assert _review_count(db, bob) == 0

    skipped = _import(client, bob, doc, skip_unknown="true")
    assert skipped.status_code == 200, skipped.text
    assert skipped.json()["skipped_questions"] == [f"{PACK}/999-9", "other-pack/1"]
    assert skipped.json()["reviews"]["added"] == 1
    assert _review_count(db, bob) == 1


def test_oversized_import_is_413(
    client: Any, db: Session, bob: ApiUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transfer, "MAX_IMPORT_BYTES", 2048)
    doc = _one_review_doc(f"{PACK}/2", answer_text="가" * 2000)
    response = _import(client, bob, doc)
    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]
    assert _review_count(db, bob) == 0


def test_real_limit_refuses_a_huge_body_by_its_length(client: Any, bob: ApiUser) -> None:
    huge = b" " * (transfer.MAX_IMPORT_BYTES + 1)
    response = _import(client, bob, huge)
    assert response.status_code == 413


def test_a_failure_midway_rolls_everything_back(
    client: Any, db: Session, rich: ApiUser, bob: ApiUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.errors import AppError

    document = _export(client, rich)

    def fail(*args: Any, **kwargs: Any) -> None:
        raise AppError(
            "simulated", en="simulated failure after reviews", ko="모의 실패", status=409
        )

    monkeypatch.setattr(transfer, "_import_answers", fail)
    response = _import(client, bob, document)
    assert response.status_code == 409
    assert _review_count(db, bob) == 0
    assert _export(client, bob)["cards"] == []


def test_users_never_see_each_others_export(
    client: Any, db: Session, rich: ApiUser, bob: ApiUser
) -> None:
    theirs = _export(client, bob)
    assert theirs["user"]["username"] == bob.user.username
    assert all(theirs[k] == [] for k in ("cards", "reviews", "notes", "bookmarks", "answers"))
    assert all(theirs[k] == [] for k in ("sessions",))
    csv_text = client.get("/api/v1/export/reviews.csv", headers=bob.headers).text
    assert csv_text.strip().lstrip("\ufeff").count("\n") == 0  # the header only


def test_export_and_import_need_authentication(client: Any) -> None:
    assert client.get("/api/v1/export").status_code == 401
    assert client.get("/api/v1/export/reviews.csv").status_code == 401
    assert client.post("/api/v1/import", json={}).status_code == 401


def _browser_login(client: Any, db: Session, who: ApiUser) -> str:
    from app.web import sign_csrf

    web_session = make_web_session(db, who.user)
    client.cookies.set("mogi_session", web_session)
    client.cookies.set("mogi_csrf", "test-csrf-token")
    return sign_csrf("test-csrf-token", web_session)


def test_import_form_on_the_progress_page(
    client: Any, db: Session, rich: ApiUser, bob: ApiUser
) -> None:
    raw = json.dumps(_export(client, rich)).encode()
    csrf = _browser_login(client, db, bob)
    files = {"file": ("mogi-export.json", raw, "application/json")}
    refused = client.post("/progress/import", files=files)
    assert refused.status_code == 403
    assert _review_count(db, bob) == 0
    done = client.post("/progress/import", files=files, data={"csrf_token": csrf})
    assert done.status_code == 200, done.text
    assert 'id="import-ok"' in done.text and rich.user.username in done.text
    assert _review_count(db, bob) == 5
    again = client.post("/progress/import", files=files, data={"csrf_token": csrf})
    assert again.status_code == 200 and _review_count(db, bob) == 5


def test_import_form_shows_a_bad_file_as_an_error_page(
    client: Any, db: Session, bob: ApiUser
) -> None:
    csrf = _browser_login(client, db, bob)
    files = {"file": ("notes.json", b'{"format": "other"}', "application/json")}
    response = client.post(
        "/progress/import", files=files, data={"csrf_token": csrf}, headers={"Accept": "text/html"}
    )
    assert response.status_code == 422
    assert "text/html" in response.headers["content-type"]
    assert "Mogi 내보내기 파일이 아닙니다" in response.text and "import-error" in response.text


def test_export_keeps_retired_questions(client: Any, db: Session, bob: ApiUser) -> None:
    """A question retired by a re-import still carries its history in the export."""
    number = live_numbers(db, 5)[4]
    add_review(db, bob, number, THEN, 3)
    question = db.get(Question, question_id(db, number))
    assert question is not None
    question.retired = True
    db.commit()
    try:
        refs = [r["question"] for r in _export(client, bob)["reviews"]]
        assert refs == [f"{PACK}/{number}"]
        # Its grade stays in the activity numbers; mastery covers live questions only.
        shown = client.get("/api/v1/progress", headers=bob.headers).json()
        assert shown["totals"]["reviews"] == 1 and shown["totals"]["seen"] == 0
    finally:
        question.retired = False
        db.commit()


def test_user_without_data_exports_empty_lists(client: Any, db: Session, seeded: str) -> None:
    who = new_api_user(db)
    doc = _export(client, who)
    assert doc["reviews"] == [] and doc["cards"] == []
    assert datetime.fromisoformat(doc["exported_at"]).tzinfo is not None


def test_import_form_lists_unknown_questions_and_rolls_back(
    client: Any, db: Session, rich: ApiUser, bob: ApiUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    csrf = _browser_login(client, db, bob)
    doc = _one_review_doc(f"{PACK}/999-9")
    files = {"file": ("export.json", json.dumps(doc).encode(), "application/json")}
    response = client.post("/progress/import", files=files, data={"csrf_token": csrf})
    assert response.status_code == 422
    assert 'id="import-error"' in response.text and f"{PACK}/999-9" in response.text

    from app.errors import AppError

    def fail(*args: Any, **kwargs: Any) -> None:
        raise AppError(
            "simulated", en="simulated failure after reviews", ko="모의 실패", status=409
        )

    monkeypatch.setattr(transfer, "_import_answers", fail)
    raw = json.dumps(_export(client, rich)).encode()
    files = {"file": ("export.json", raw, "application/json")}
    response = client.post("/progress/import", files=files, data={"csrf_token": csrf})
    assert response.status_code == 409
    assert _review_count(db, bob) == 0


def test_openapi_documents_the_import_body(client: Any) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    body = spec["paths"]["/api/v1/import"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["$ref"].endswith("/ExportDocument")
    assert "ExportDocument" in spec["components"]["schemas"]
    assert "/api/v1/progress" in spec["paths"] and "/api/v1/export/reviews.csv" in spec["paths"]


def test_undo_after_an_import_takes_back_the_latest_grade(
    client: Any, db: Session, bob: ApiUser
) -> None:
    """Imported grades are older than the user's own: undo must not pick them by their new ids."""
    first, second = live_numbers(db, 2)
    graded = client.post(
        "/api/v1/reviews", json={"question": f"{PACK}/{first}", "rating": 3}, headers=bob.headers
    )
    assert graded.status_code == 201, graded.text
    snapshot = {
        "state": 2,
        "step": None,
        "stability": 3.0,
        "difficulty": 5.0,
        "due": THEN.isoformat(),
        "last_review": None,
        "reps": 0,
        "lapses": 0,
    }
    doc = _one_review_doc(f"{PACK}/{second}", card_before=json.dumps(snapshot), state=2)
    assert _import(client, bob, doc).status_code == 200
    undone = client.post("/api/v1/reviews/undo", json={}, headers=bob.headers)
    assert undone.status_code == 200, undone.text
    assert undone.json()["question"] == f"{PACK}/{first}"


def test_import_form_refuses_a_huge_upload(client: Any, db: Session, bob: ApiUser) -> None:
    csrf = _browser_login(client, db, bob)
    huge = b" " * (transfer.MAX_IMPORT_BYTES + 2 * 1024 * 1024)
    files = {"file": ("export.json", huge, "application/json")}
    response = client.post("/progress/import", files=files, data={"csrf_token": csrf})
    assert response.status_code == 413
    assert _review_count(db, bob) == 0


def test_review_settings_travel_with_the_export(client: Any, db: Session, seeded: str) -> None:
    from app.practice.models import PracticeSettings

    alice, bob = new_api_user(db), new_api_user(db)
    assert _export(client, alice)["settings"] is None  # the defaults need no carrying
    changes = {"desired_retention": 0.85, "new_per_day": 7, "learning_steps": "2m 20m"}
    assert client.put("/api/v1/settings", json=changes, headers=alice.headers).status_code == 200
    row = db.get(PracticeSettings, alice.user.id)
    assert row is not None
    row.fsrs_parameters = [0.5] * 21  # fitted weights come along too
    db.commit()
    doc = _export(client, alice)
    assert doc["settings"]["new_per_day"] == 7 and doc["settings"]["learning_steps"] == [120, 1200]

    first = _import(client, bob, doc)
    assert first.status_code == 200 and first.json()["settings"]["added"] == 1
    theirs = client.get("/api/v1/settings", headers=bob.headers).json()
    assert theirs["desired_retention"] == 0.85 and theirs["learning_steps_text"] == "2m 20m"
    assert theirs["fsrs_parameters"] == [0.5] * 21
    assert _import(client, bob, doc).json()["settings"]["unchanged"] == 1
    # A later change of Bob's own is not overwritten by the older export.
    assert client.put("/api/v1/settings", json={"new_per_day": 1}, headers=bob.headers)
    assert _import(client, bob, doc).json()["settings"]["unchanged"] == 1
    assert client.get("/api/v1/settings", headers=bob.headers).json()["new_per_day"] == 1

    bad = copy.deepcopy(doc)
    bad["settings"]["time_zone"] = "Nowhere/Land"
    refused = _import(client, new_api_user(db), bad)
    assert refused.status_code == 422 and "Unknown time zone" in refused.text
