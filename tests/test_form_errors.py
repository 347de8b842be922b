"""Bad input on pages is answered in the page's language, next to its field, with what was
typed kept; addresses that cannot exist are a friendly 404; the API's detail is a sentence."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.practice.models import MAX_TEXT_CHARS
from app.progress.transfer import MAX_IMPORT_BYTES
from tests.factories import csrf_for, make_token, make_user, make_web_session, unique_name

PACK = "deep-learning"
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def _field_error(html: str) -> str:
    found = re.search(r'<p class="field-error" id="form-error" role="alert">([^<]*)</p>', html)
    assert found, "no message next to a field"
    return found.group(1)


def _csrf(client: TestClient) -> str:
    client.get("/register")  # sets the CSRF nonce cookie
    return csrf_for(client)


def _logged_in(client: TestClient, db: Session) -> str:
    user = make_user(db)
    client.cookies.set("mogi_session", make_web_session(db, user))
    client.get("/account")
    return csrf_for(client)


def test_an_empty_sign_up_form_is_answered_on_the_form_in_korean(client: TestClient) -> None:
    r = client.post("/register", data={"csrf_token": _csrf(client)})
    assert r.status_code == 422
    assert '<form method="post" action="/register"' in r.text
    assert _field_error(r.text) == "사용자 이름을 입력하세요."
    assert "field required" not in r.text.lower() and "body." not in r.text


def test_a_sign_up_without_a_password_keeps_the_name(client: TestClient) -> None:
    name = unique_name("keep")
    r = client.post("/register", data={"csrf_token": _csrf(client), "username": name})
    assert r.status_code == 422
    assert _field_error(r.text) == "비밀번호를 입력하세요."
    assert f'value="{name}"' in r.text


def test_sign_up_errors_in_english(client: TestClient) -> None:
    r = client.post("/register?lang=en", data={"csrf_token": _csrf(client)})
    assert r.status_code == 422
    assert _field_error(r.text) == "Enter a username."


def test_a_long_password_is_refused_with_its_length(client: TestClient) -> None:
    name = unique_name("long")
    data = {"csrf_token": _csrf(client), "username": name, "password": "x" * 1100}
    r = client.post("/register", data=data)
    assert r.status_code == 422
    assert _field_error(r.text) == "비밀번호는 1,024자까지 쓸 수 있습니다 (지금 1,100자)."


def test_an_empty_login_form_is_answered_on_the_form(client: TestClient) -> None:
    r = client.post("/login", data={"csrf_token": _csrf(client)})
    assert r.status_code == 422
    assert _field_error(r.text) == "사용자 이름을 입력하세요."


def test_an_empty_token_name_is_answered_next_to_the_field(client: TestClient, db: Session) -> None:
    csrf = _logged_in(client, db)
    r = client.post("/account/tokens", data={"csrf_token": csrf, "name": " " * 3})
    assert r.status_code == 422
    assert "토큰 이름을 입력하세요" in _field_error(r.text)
    long_name = "t" * 150
    r = client.post("/account/tokens", data={"csrf_token": csrf, "name": long_name})
    assert r.status_code == 422 and f'value="{long_name}"' in r.text


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_too_long_note_is_refused_with_its_length_and_kept(
    client: TestClient, db: Session, seeded: str, lang: str
) -> None:
    csrf = _logged_in(client, db)
    text = "가" * (MAX_TEXT_CHARS + 512)
    r = client.post(
        f"/practice/questions/{PACK}/1/note?lang={lang}", data={"csrf_token": csrf, "body": text}
    )
    assert r.status_code == 422
    expected = {
        "ko": "메모는 20,000자까지 쓸 수 있습니다 (지금 20,512자).",
        "en": "A note can be at most 20,000 characters (this one has 20,512).",
    }
    assert _field_error(r.text) == expected[lang]
    assert text in r.text  # nothing typed is lost
    note = client.get(f"/questions/{PACK}/1")
    assert text not in note.text  # and nothing was saved, cut or whole


def test_a_too_long_own_answer_is_refused_and_kept(
    client: TestClient, db: Session, seeded: str
) -> None:
    csrf = _logged_in(client, db)
    text = "a" * (MAX_TEXT_CHARS + 1)
    r = client.post(
        f"/practice/questions/{PACK}/1/my-answer",
        data={"csrf_token": csrf, "body_markdown": text},
    )
    assert r.status_code in (409, 422)
    assert text in r.text and HANGUL.search(_field_error(r.text))


def test_a_too_long_typed_answer_is_refused_on_the_card_and_kept(
    client: TestClient, db: Session, seeded: str
) -> None:
    csrf = _logged_in(client, db)
    form = {"csrf_token": csrf, "pack": PACK, "kind": "all", "mode": "review"}
    started = client.post("/practice/sessions", data=form, follow_redirects=False)
    assert started.status_code == 303, started.text
    session_url = started.headers["location"]
    text = "답" * (MAX_TEXT_CHARS + 7)
    data = {"csrf_token": csrf, "answer_text": text}
    r = client.post(f"{session_url}/reveal?lang=en", data=data)
    assert r.status_code == 422
    expected = "An answer can be at most 20,000 characters (this one has 20,007)."
    assert _field_error(r.text) == expected
    assert text in r.text and 'aria-invalid="true"' in r.text
    # Not revealed: the card still asks for an answer.
    assert 'id="reveal-form"' in client.get(session_url).text


def test_text_boxes_do_not_cut_what_is_typed(client: TestClient, db: Session, seeded: str) -> None:
    _logged_in(client, db)
    page = client.get(f"/questions/{PACK}/1").text
    assert "maxlength" not in page
    assert 'data-max-chars="20000"' in page


@pytest.mark.parametrize(
    ("path", "lang", "text"),
    [
        ("/practice/sessions/abc", "ko", "잘못된 주소입니다"),
        ("/demos/runs/abc", "ko", "잘못된 주소입니다"),
        ("/practice/sessions/abc", "en", "This address is not valid"),
        ("/demos/runs/-1", "en", "This address is not valid"),
    ],
)
def test_an_address_that_cannot_exist_is_a_friendly_404(
    client: TestClient, db: Session, path: str, lang: str, text: str
) -> None:
    _logged_in(client, db)
    r = client.get(f"{path}?lang={lang}")
    assert r.status_code == 404
    assert "text/html" in r.headers["content-type"]
    assert text in r.text
    assert "path." not in r.text and "session_id" not in r.text and "run_id" not in r.text


def test_the_api_says_what_is_wrong_in_a_sentence(client: TestClient, db: Session) -> None:
    token = make_token(db, make_user(db))
    r = client.get("/api/v1/sessions/abc", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 422
    body = r.json()
    assert body["errors"][0]["loc"] == ["path", "session_id"]  # still machine-readable
    assert body["detail"].startswith("The request is not valid: check 'session_id'")
    assert body["code"] == "invalid_input"


@pytest.mark.parametrize(
    ("lang", "text"), [("ko", "16 MiB까지 보낼 수 있습니다"), ("en", "larger than the 16 MiB")]
)
def test_an_import_too_large_states_the_forms_limit(
    client: TestClient, db: Session, lang: str, text: str
) -> None:
    csrf = _logged_in(client, db)
    body = b"x" * (MAX_IMPORT_BYTES + 2 * 1024 * 1024)
    r = client.post(
        f"/progress/import?lang={lang}",
        content=body,
        headers={
            "Content-Type": "multipart/form-data; boundary=b",
            "X-CSRF-Token": csrf,
            "Accept": "text/html",
        },
    )
    assert r.status_code == 413
    assert text in r.text
    form = client.get(f"/progress?lang={lang}").text
    assert "16 MiB" in form  # the form states the same limit


def test_an_error_response_declares_its_problem_schema(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            errors = {k: v for k, v in op.get("responses", {}).items() if k[0] in "45"}
            for status, response in errors.items():
                content = response.get("content", {})
                assert "application/problem+json" in content, f"{method} {path} {status}"


@pytest.mark.browser
def test_a_browser_sees_an_empty_sign_up_answered_next_to_the_field(
    live_server: str,
    page,  # noqa: ANN001
) -> None:
    page.goto(f"{live_server}/register")
    page.click("form.auth-form button[type=submit]")  # nothing typed
    assert page.locator("#form-error").inner_text() == "사용자 이름을 입력하세요."
    assert page.get_attribute("#username", "aria-invalid") == "true"

    name = unique_name("typed")
    page.fill("#username", name)
    page.click("form.auth-form button[type=submit]")  # a name, no password
    assert page.locator("#form-error").inner_text() == "비밀번호를 입력하세요."
    assert page.input_value("#username") == name  # the typed name is kept
    assert "422" not in page.locator("main").inner_text()  # the form, not an error page


@pytest.mark.browser
def test_a_browser_counts_a_note_and_keeps_a_refused_one(
    live_server: str,
    page,  # noqa: ANN001
    db: Session,
    seeded: str,
) -> None:
    from tests.factories import browser_log_in

    browser_log_in(page, db, live_server)
    page.goto(f"{live_server}/questions/{PACK}/1")
    page.click(".note-box summary")
    text = "메" * (MAX_TEXT_CHARS + 3)
    page.fill("#note-body", text)
    assert page.input_value("#note-body") == text  # nothing cut while typing
    count = page.locator("#note-body-count")
    assert count.inner_text().replace(",", "").startswith(str(MAX_TEXT_CHARS + 3))
    assert "over" in (count.get_attribute("class") or "")
    page.click(".note-box button[type=submit]")
    assert "20,000자까지" in page.locator("#form-error").inner_text()
    assert page.input_value("#note-body") == text


@pytest.mark.parametrize(
    ("lang", "text"), [("ko", "입력이 올바르지 않습니다"), ("en", "The request is not valid")]
)
def test_a_bad_query_on_a_page_is_a_readable_page(client: TestClient, lang: str, text: str) -> None:
    r = client.get(f"/search?q=relu&page=abc&lang={lang}")
    assert r.status_code == 422
    assert "text/html" in r.headers["content-type"]
    assert text in r.text and "&#39;page&#39;" in r.text
    assert "query.page" not in r.text
