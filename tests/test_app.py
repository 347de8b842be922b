"""The application shell: health check, problem details, language, CSRF."""

from __future__ import annotations

from app.static_files import static_url


def test_healthz_reports_database(client) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["database"]["reachable"] is True
    assert body["database"]["backend"] in {"sqlite", "postgresql"}


def test_unknown_api_path_is_problem_json(client) -> None:
    r = client.get("/api/v1/no-such-thing")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["status"] == 404


def test_unknown_page_is_html_in_layout(client) -> None:
    r = client.get("/no-such-page", headers={"accept": "text/html"})
    assert r.status_code == 404
    assert "text/html" in r.headers["content-type"]
    assert "<nav" in r.text


def test_openapi_document_served(client) -> None:
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    assert r.json()["info"]["title"] == "Mogi"


def test_web_app_does_not_import_torch() -> None:
    import subprocess
    import sys

    code = (
        "import sys, app.main; app.main.create_app(); "
        "print('torch' in sys.modules, 'numpy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"


def test_api_docs_use_only_vendored_assets(client) -> None:
    r = client.get("/api/v1/docs")
    assert r.status_code == 200
    assert static_url("vendor/swagger-ui/swagger-ui-bundle.js") in r.text
    assert "http://" not in r.text and "https://" not in r.text
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert client.get(f"/static/vendor/swagger-ui/{asset}").status_code == 200


def test_error_pages_know_who_is_logged_in(client, db) -> None:  # noqa: ANN001
    """An address no route answers still shows the visitor as logged in, with ways on."""
    from tests.factories import make_user, make_web_session

    user = make_user(db)
    client.cookies.set("mogi_session", make_web_session(db, user))
    for path in ("/no-such-page", "/practice/sessions/abc", "/questions/no-such-pack/1"):
        r = client.get(path, headers={"Accept": "text/html"})
        assert r.status_code in (404, 422), (path, r.status_code)
        assert user.username in r.text, path
        assert 'action="/search"' in r.text and 'href="/questions"' in r.text, path
    client.cookies.clear()
    anonymous = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert user.username not in anonymous.text and 'href="/login' in anonymous.text
