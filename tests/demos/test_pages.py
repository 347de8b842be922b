"""The demo pages, in-process: catalogue, history, the generated form, a run's page, the
question page's panel, and who may see what."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy.orm import Session

from app.demos import service
from app.demos.models import DemoJob
from app.static_files import static_url
from models import catalog
from models.catalog import EXPERIMENTS
from tests.factories import make_user, make_web_session

FIRST = next(iter(EXPERIMENTS))


class Elements(HTMLParser):
    """Every start tag with its attributes, and the page's text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.scripts: dict[str, str] = {}
        self.in_script: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self.in_script = str(dict(attrs).get("id"))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self.in_script = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self.in_script is not None:
            self.scripts[self.in_script] = self.scripts.get(self.in_script, "") + data

    def by_id(self, element_id: str) -> dict[str, str | None]:
        found = [attrs for _, attrs in self.tags if attrs.get("id") == element_id]
        assert found, f"no element #{element_id}"
        return found[0]

    def script_text(self, element_id: str) -> str:
        return self.scripts[element_id]

    def links(self) -> list[str]:
        return [str(a["href"]) for tag, a in self.tags if tag == "a" and a.get("href")]


def logged_in(client: TestClient, db: Session) -> Any:
    user = make_user(db)
    client.cookies.set("mogi_session", make_web_session(db, user))
    return user


def queue_run(db: Session, user: Any, experiment: str | None = None) -> DemoJob:
    """A queued run of the user's, straight through the service (no worker needed)."""
    from app.demos.schemas import DemoCreate

    slug = experiment or FIRST
    job = service.create_job(db, user.id, DemoCreate(experiment=slug, params={}))
    db.commit()
    return job


def test_catalogue_lists_every_experiment_with_its_questions(client: TestClient) -> None:
    r = client.get("/demos")
    assert r.status_code == 200
    page = Elements(r.text)
    catalogue = list(EXPERIMENTS.values())
    assert len(catalogue) >= 9
    links = page.links()
    for exp in catalogue:
        assert f"/demos/{exp.slug}" in links
        assert str(escape(exp.title_ko)) in r.text
        for public_id in exp.questions:
            assert f"/questions/{public_id}" in links
    # Logged out: browsing works, and the page says running needs an account.
    assert "/login?next=/demos" in links
    assert "실행하려면 계정이 필요합니다" in r.text


def test_catalogue_in_english(client: TestClient) -> None:
    r = client.get("/demos?lang=en")
    assert r.status_code == 200
    assert "MNIST experiment demos" in r.text
    for exp in list(EXPERIMENTS.values()):
        assert str(escape(exp.title_en)) in r.text


def test_history_shows_own_runs_and_an_empty_state(client: TestClient, db: Session) -> None:
    user = logged_in(client, db)
    r = client.get("/demos")
    assert "아직 실행한 실험이 없습니다" in r.text
    job = queue_run(db, user)
    other = queue_run(db, make_user(db))
    r = client.get("/demos")
    links = Elements(r.text).links()
    assert f"/demos/runs/{job.id}" in links
    assert f"/demos/runs/{other.id}" not in links
    assert "대기 중" in r.text
    assert "아직 실행한 실험이 없습니다" not in r.text


def test_history_shows_accuracy_of_a_finished_run(client: TestClient, db: Session) -> None:
    user = logged_in(client, db)
    job = queue_run(db, user)
    job.status = "finished"
    job.result = {"test_accuracy": 0.9731}
    db.commit()
    r = client.get("/demos")
    assert "97.31%" in r.text
    assert "완료" in r.text


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_form_is_generated_from_the_schema_with_defaults_and_bounds(
    client: TestClient, lang: str
) -> None:
    for exp in list(EXPERIMENTS.values()):
        r = client.get(f"/demos/{exp.slug}?lang={lang}")
        assert r.status_code == 200, exp.slug
        page = Elements(r.text)
        schemas = catalog.params_schema(exp)["properties"]
        for name, default in catalog.defaults(exp).items():
            schema, control = schemas[name], page.by_id(f"param-{name}")
            kind = schema["type"][0] if isinstance(schema["type"], list) else schema["type"]
            if "enum" in schema:
                options = [a for tag, a in page.tags if tag == "option" and "selected" in a]
                assert any(o.get("value") == json.dumps(default) for o in options), name
            elif kind == "boolean":
                assert control.get("type") == "checkbox"
                assert ("checked" in control) == bool(default), name
            else:
                assert control.get("type") == "number", name
                if default is None:  # nullable: empty means "the experiment picks"
                    assert control["value"] == "" and "required" not in control
                else:
                    assert float(str(control["value"])) == pytest.approx(float(default))
                    assert "required" in control
                if "minimum" in schema:
                    assert float(str(control["min"])) == pytest.approx(schema["minimum"])
                if "maximum" in schema:
                    assert float(str(control["max"])) == pytest.approx(schema["maximum"])
                if kind == "integer":
                    assert control["step"] == "1"
                label = schema["title"] if lang == "en" else schema["title_ko"]
                assert f'for="param-{name}">{escape(label)}</label>' in r.text
        assert page.by_id("compare-on").get("type") == "checkbox"


def test_form_logged_out_offers_login_instead_of_run(client: TestClient) -> None:
    slug = FIRST
    r = client.get(f"/demos/{slug}")
    page = Elements(r.text)
    assert not [a for _, a in page.tags if a.get("id") == "run-button"]
    assert f"/login?next=/demos/{slug}" in page.links()


def test_form_logged_in_has_run_button(client: TestClient, db: Session) -> None:
    logged_in(client, db)
    slug = FIRST
    page = Elements(client.get(f"/demos/{slug}").text)
    assert page.by_id("run-button").get("type") == "submit"
    # The script sends the CSRF header from this meta tag.
    metas = [a for tag, a in page.tags if tag == "meta" and a.get("name") == "csrf-token"]
    assert metas and metas[0]["content"]


def test_unknown_experiment_is_404(client: TestClient) -> None:
    r = client.get("/demos/no-such-experiment")
    assert r.status_code == 404
    assert "text/html" in r.headers["content-type"]


def test_run_page_of_own_run(client: TestClient, db: Session) -> None:
    user = logged_in(client, db)
    job = queue_run(db, user)
    r = client.get(f"/demos/runs/{job.id}")
    assert r.status_code == 200
    page = Elements(r.text)
    root = page.by_id("demo-run")
    assert root["data-api"] == f"/api/v1/demos/{job.id}"
    assert root["data-status"] == "queued"
    assert page.by_id("run-loading").get("hidden") is None  # the loading state shows
    assert page.by_id("run-cancel").get("hidden") is None
    scripts = [a["src"] for tag, a in page.tags if tag == "script" and a.get("src")]
    assert static_url("vendor/uplot/uPlot.iife.min.js") in scripts
    assert static_url("js/demo-infer.js") in scripts
    assert not [s for s in scripts if str(s).startswith(("http:", "https:", "//"))]


def test_run_page_of_another_users_run_is_404(client: TestClient, db: Session) -> None:
    job = queue_run(db, make_user(db))
    logged_in(client, db)
    r = client.get(f"/demos/runs/{job.id}")
    assert r.status_code == 404
    assert f"/api/v1/demos/{job.id}" not in r.text


def test_run_page_logged_out_goes_to_login(client: TestClient, db: Session) -> None:
    job = queue_run(db, make_user(db))
    r = client.get(f"/demos/runs/{job.id}", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == f"/login?next=%2Fdemos%2Fruns%2F{job.id}"


def test_logged_out_run_attempt_is_refused(client: TestClient) -> None:
    slug = FIRST
    r = client.post("/api/v1/demos", json={"experiment": slug, "params": {}})
    assert r.status_code == 401


def test_cookie_run_attempt_needs_the_csrf_header(client: TestClient, db: Session) -> None:
    user = logged_in(client, db)
    slug = FIRST
    body = {"experiment": slug, "params": {}}
    assert client.post("/api/v1/demos", json=body).status_code == 403
    client.get("/demos")  # the page sets the CSRF cookie the script echoes
    from tests.factories import csrf_for

    assert client.cookies.get("mogi_csrf")
    token = csrf_for(client)
    r = client.post("/api/v1/demos", json=body, headers={"X-CSRF-Token": token})
    assert r.status_code == 202, r.text
    assert r.json()["id"]
    db.expire_all()
    assert db.get(DemoJob, r.json()["id"]).user_id == user.id  # type: ignore[union-attr]


def test_question_page_links_its_experiments(client: TestClient, seeded: str) -> None:
    linked = [e for e in list(EXPERIMENTS.values()) if e.questions]
    exp = linked[0]
    public_id = exp.questions[0]
    r = client.get(f"/questions/{public_id}")
    assert r.status_code == 200
    assert "직접 실험해 보기" in r.text
    assert f"/demos/{exp.slug}" in Elements(r.text).links()
    # What to look at in the result for this very question.
    look = exp.look(public_id, "ko")
    assert look and look[:12] in r.text
    # A question no experiment illustrates gets no panel: every one of the seed pack's has an
    # experiment now, so one from another shipped pack.
    illustrated = {q for e in list(EXPERIMENTS.values()) for q in e.questions}
    plain = "algorithm/1"
    assert plain not in illustrated
    r = client.get(f"/questions/{plain}")
    assert r.status_code == 200
    assert "직접 실험해 보기" not in r.text


def test_catalogue_titles_its_question_links(client: TestClient, db: Session, seeded: str) -> None:
    from app.content import service as content

    r = client.get("/demos")
    exp = next(e for e in list(EXPERIMENTS.values()) if e.questions)
    pack, number = exp.questions[0].split("/", 1)
    snap = content.cache.snapshot(db, pack)
    assert snap is not None
    title = snap.by_number[number].title
    assert f'<span class="qnum">#{number}</span><span data-content>{escape(title)}</span>' in r.text


def test_run_page_in_english(client: TestClient, db: Session) -> None:
    user = logged_in(client, db)
    job = queue_run(db, user, "architecture")
    r = client.get(f"/demos/runs/{job.id}?lang=en")
    assert r.status_code == 200
    assert "MLP vs CNN: parameters, accuracy, time" in r.text
    assert "Training curves" in r.text
    text = json.loads(Elements(r.text).script_text("demo-run-text"))
    assert text["status"]["running"] == "Training"
    assert text["curves"]["validation"] == "validation"


def test_a_finished_runs_results_are_on_the_page_itself(client: TestClient, db: Session) -> None:
    """The page of a finished run carries its results as text, before any script runs:
    the summary in readable units, and an experiment's own tables."""
    user = logged_in(client, db)
    job = queue_run(db, user)
    job.experiment, job.params = "bias", {"bias": False, "seed": 0}
    job.status, job.result = "finished", {
        "test_accuracy": 0.9036, "test_loss": None, "train_time_s": 0.0, "wall_time_s": 3.16,
        "params_count": 50890, "charts": [], "images": [], "code": None, "extra": {},
        "tables": [{
            "title": {"ko": "결과", "en": "Results"},
            "columns": [{"ko": "곡선 MSE", "en": "curve MSE"},
                        {"ko": "x = 0에서의 출력", "en": "output at x = 0"},
                        {"ko": "MNIST 테스트 정확도", "en": "MNIST test accuracy"}],
            "rows": [[1.1679, 0.0, 0.9036]],
            "percent": [2],
        }],
    }  # fmt: skip
    db.commit()
    r = client.get(f"/demos/runs/{job.id}?lang=en")
    page = Elements(r.text)
    assert "hidden" not in page.by_id("run-result")
    assert "hidden" not in page.by_id("custom-section")
    assert "hidden" in page.by_id("classifier-result")  # no confusion matrix to show
    assert "<td>90.36%</td>" in r.text and "3.16 s" in r.text and "50,890" in r.text
    assert "output at x = 0" in r.text and "<td>90.36%</td>" in r.text
    # The settings line reads as a person writes them.
    assert "Use biases: off" in r.text and "None" not in r.text and "False" not in r.text


@pytest.fixture(scope="module")
def real_comparison() -> dict[str, Any]:
    """A real (tiny) 2-way activations comparison on MNIST, as the worker stores it."""
    from app.demos.tasks import JobSpec, run_job, without_inference
    from models.data import load_mnist
    from tests.conftest import MNIST_DIR

    if not (MNIST_DIR / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"MNIST is not in {MNIST_DIR}")
    variants = catalog.compare_variants(
        "activations",
        {"train_subset": 1000, "depth": 2, "width": 16, "epochs": 2},
        ["sigmoid", "relu"],
    )
    spec = JobSpec("activations", variants[0], variants)
    result = run_job(spec, device="cpu", data=load_mnist(MNIST_DIR), emit=lambda _e: None)
    return {"variants": variants, "result": without_inference(result)}


def test_a_finished_comparison_is_rendered_whole_on_the_server(
    client: TestClient, db: Session, real_comparison: dict[str, Any]
) -> None:
    """Results table, each variant's confusion matrix and the curves (SVG) are in the page as
    sent, labelled as a person reads them, train and test in different line styles."""
    user = logged_in(client, db)
    job = queue_run(db, user, "activations")
    job.params, job.compare = real_comparison["variants"][0], real_comparison["variants"]
    job.status, job.result = "finished", real_comparison["result"]
    db.commit()
    r = client.get(f"/demos/runs/{job.id}?lang=en")
    assert r.status_code == 200
    runs = real_comparison["result"]["variants"]
    page = Elements(r.text)
    assert "hidden" not in page.by_id("run-result")
    assert "hidden" not in page.by_id("classifier-result")
    assert "hidden" in page.by_id("charts-empty")
    # The summary: one row per variant, named by its value.
    for run, name in zip(runs, ("Sigmoid", "ReLU"), strict=True):
        assert f'<th scope="row">{name}</th><td>{100 * run["test_accuracy"]:.2f}%</td>' in r.text
    # The first variant's confusion matrix in the table the scripts would fill, the other's
    # for readers without scripts.
    counts = re.findall(
        r'<td class="(?:diag|off)[^"]*" style="[^"]*" title="[^"]*">(\d+)</td>', r.text
    )
    assert [int(n) for n in counts] == [n for run in runs for row in run["confusion_matrix"]
                                        for n in row]  # fmt: skip
    assert "<noscript>" in r.text and r.text.count('class="confusion-label"') == 2
    # The curves: loss and accuracy, a line per variant and curve, test as dotted points.
    svgs = [a for tag, a in page.tags if tag == "svg" and a.get("class") == "chart-svg"]
    assert [s["aria-label"] for s in svgs] == ["Loss", "Accuracy (%)"]
    lines = [a for tag, a in page.tags if tag == "polyline"]
    assert len(lines) == 2 * 2 * 2  # charts x variants x (train, test)
    dashes = {a.get("stroke-dasharray") for a in lines}
    assert dashes == {None, "2 3"}  # train solid, test dotted
    legend = " ".join(page.text)
    assert "Sigmoid" in legend and "train" in legend and "test" in legend
    assert "Trained together" in r.text
    assert "None" not in r.text.replace("noscript", "") and "False" not in r.text


def test_a_queued_run_names_its_place_in_the_queue_in_both_languages(
    client: TestClient, db: Session
) -> None:
    from sqlalchemy import update

    db.execute(update(DemoJob).where(DemoJob.status == "queued").values(status="cancelled"))
    db.commit()
    first = queue_run(db, make_user(db))
    second = queue_run(db, make_user(db), "activations")
    third = queue_run(db, logged_in(client, db), "initialization")
    assert service.queue_position(db, third.id) == 2
    assert _progress_note(client, third.id, "en") == "2 runs are ahead in the queue."
    assert "대기열에서 앞에 2개가" in _progress_note(client, third.id, "ko")
    service.cancel_job(db, first)
    db.commit()
    assert _progress_note(client, third.id, "en") == "1 run is ahead in the queue."
    service.cancel_job(db, second)
    db.commit()
    assert service.queue_position(db, third.id) == 0


def _progress_note(client: TestClient, run_id: int, lang: str) -> str:
    """The run page's note under its header, as rendered before any script runs."""
    html = client.get(f"/demos/runs/{run_id}?lang={lang}").text
    found = re.search(r'id="run-progress"[^>]*>([^<]*)<', html)
    assert found, "no progress note"
    return found.group(1).strip()


def test_a_run_on_split_batches_says_so_in_both_languages(client: TestClient, db: Session) -> None:
    """The thread tuner's choice as a person reads it: 2 CPU threads, each batch (or the hidden
    units) split in half across two processes; a run on one thread says just 1."""
    from tests.factories import make_finished_run

    user = logged_in(client, db)
    split, single = make_finished_run(db, user.id), make_finished_run(db, user.id)
    hidden = make_finished_run(db, user.id)
    for job_id, threads, chosen, split_by in (
        (split, 2, "split", "batch"), (single, 1, 1, None), (hidden, 2, "split", "hidden_units")
    ):  # fmt: skip
        job = db.get(DemoJob, job_id)
        assert job is not None
        job.result = {**job.result, "threads": threads, "thread_choice": {"chosen": chosen},
                      "split_by": split_by}  # fmt: skip
    db.commit()
    english = Elements(client.get(f"/demos/runs/{split}?lang=en").text).text
    assert "2 (each batch split in half across two processes)" in english
    korean = Elements(client.get(f"/demos/runs/{split}?lang=ko").text).text
    assert "2 (배치를 반씩 두 프로세스에서)" in korean
    # A one-hidden-layer MLP splits its hidden units, and says so.
    english = Elements(client.get(f"/demos/runs/{hidden}?lang=en").text).text
    assert "2 (the hidden units split in half across two processes)" in english
    korean = Elements(client.get(f"/demos/runs/{hidden}?lang=ko").text).text
    assert "2 (은닉 유닛을 반씩 두 프로세스에서)" in korean
    page = client.get(f"/demos/runs/{single}?lang=en").text
    meta = re.search(r'<dl class="meta" id="run-meta">(.*?)</dl>', page, re.S)
    assert meta and "<dt>CPU threads</dt><dd>1</dd>" in meta.group(1)
    assert "processes" not in meta.group(1)
