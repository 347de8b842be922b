"""The variants of a comparison trained together: each the run it would be alone, by the same
start and batches; comparisons that cannot train together say so; the thread count chosen by
measurement."""

from __future__ import annotations

import json
from typing import Any

import pytest
import torch

from app.demos.tasks import JobSpec, run_job
from models import catalog
from models.runner import run_comparison, run_experiment
from models.threads import SPLIT, ThreadTuner, batch_shards, decide, use_threads

SMALL = {"train_subset": 2000, "depth": 3, "width": 32, "epochs": 1}


def _together(mnist, slug: str, variants: list[dict[str, Any]]) -> tuple[list, dict]:  # noqa: ANN001
    events: dict[int, list[dict[str, Any]]] = {}

    def emit_for(i: int):  # noqa: ANN202
        return events.setdefault(i, []).append

    results = run_comparison(slug, variants, device="cpu", emit_for=emit_for, data=mnist, threads=1)
    assert results is not None
    return results, events


@pytest.mark.slow
@pytest.mark.parametrize(
    ("slug", "params"),
    [
        ("activations", SMALL),  # a different function in every variant
        ("optimizers", {"train_subset": 2000, "width": 32, "epochs": 1}),  # own optimisers
        ("loss", {"train_subset": 2000, "width": 32, "epochs": 1}),  # own losses and monitors
    ],
)
def test_variants_trained_together_match_their_runs_alone(mnist, slug, params) -> None:  # noqa: ANN001
    variants = catalog.compare_variants(slug, params)
    together, events = _together(mnist, slug, variants)
    json.dumps(together, allow_nan=False)
    for i, (params_i, result) in enumerate(zip(variants, together, strict=True)):
        alone_events: list[dict[str, Any]] = []
        alone = run_experiment(
            slug, params_i, device="cpu", emit=alone_events.append, data=mnist, threads=1
        )
        assert result["trained_together"] == len(variants)
        assert result["params"] == alone["params"]
        assert result["history"] == events[i]
        assert len(result["history"]) == len(alone["history"])
        # The same start and first batches: the first reported losses agree to rounding...
        assert events[i][0]["loss"] == pytest.approx(alone_events[0]["loss"], rel=1e-4)
        # ...and the runs end alike (float sums in another order drift a little).
        assert result["test_accuracy"] == pytest.approx(alone["test_accuracy"], abs=0.02)
        assert sum(map(sum, result["confusion_matrix"])) == 10000
        assert result["inference"]["layers"] and result["samples"]


@pytest.mark.slow
def test_comparisons_that_differ_in_shape_or_data_are_not_grouped(mnist) -> None:  # noqa: ANN001
    # Batch norm (normalization) and differently scaled inputs cannot share one model.
    for slug, params in [
        ("normalization", {"train_subset": 1000, "depth": 2, "width": 32}),
        ("input-normalization", {"train_subset": 1000, "width": 32}),
        ("activations", {**SMALL, "width": 32}),
    ]:
        variants = catalog.compare_variants(slug, params)
        if slug == "activations":  # different widths: different shapes
            variants[1] = {**variants[1], "width": 16}
        got = run_comparison(
            slug, variants, device="cpu", emit_for=lambda _i: lambda _e: None, data=mnist,
            threads=1,
        )  # fmt: skip
        assert got is None, slug
    # An experiment that measures its own things declares no plan.
    assert catalog.get_experiment("seeds").plan is None


@pytest.mark.slow
def test_a_comparison_job_reports_its_share_done(mnist) -> None:  # noqa: ANN001
    variants = catalog.compare_variants("activations", SMALL)
    events: list[dict[str, Any]] = []
    result = run_job(
        JobSpec("activations", variants[0], variants), device="cpu", data=mnist,
        emit=events.append, threads=1,
    )  # fmt: skip
    assert [v["params"] for v in result["variants"]] == variants
    assert {e["variant"] for e in events} == {0, 1, 2, 3}
    for event in events:  # trained together: each variant is as far along as the job
        assert event["overall"] == event["progress"]
    assert max(e["overall"] for e in events) == 1.0


def test_thread_tuner_decides_from_the_steps_it_times() -> None:
    before = torch.get_num_threads()
    try:
        tuner = ThreadTuner(2, rounds=2, arm_ticks=2, arm_s=0.0)
        a = torch.randn(256, 256)
        ticks = 0
        while tuner.chosen is None:
            a = torch.tanh(a @ a.T / 256)  # a real step's worth of work
            tuner.tick()
            ticks += 1
            assert ticks < 100
        summary = tuner.summary()
        chosen = summary["chosen"]
        threads = 1 if chosen == SPLIT else chosen
        assert chosen in (1, 2, SPLIT) and torch.get_num_threads() == threads
        assert batch_shards() == (2 if chosen == SPLIT else 1)
        assert summary["step_ms_one"] and summary["step_ms_most"] and summary["step_ms_split"]
        assert all(len(m) == 2 for m in tuner.arm_medians.values())  # one median an arm
        # Decided: the thread count stays put.
        tuner.tick()
        assert torch.get_num_threads() == threads
        # One core: nothing to measure.
        assert ThreadTuner(1).chosen == 1 and batch_shards() == 1
    finally:
        use_threads(before)


def test_the_tuner_compares_ways_within_a_round_so_a_slow_spell_does_not_decide() -> None:
    """Split batches are 30% faster than one thread in every round, but the machine slowed to
    half speed from the first round's split arm to the second round's end: pooled, the split
    arm's median (14) loses to one thread's (10); round by round it wins."""
    drifting: dict[int | str, list[float]] = {
        2: [10.0, 20.0, 10.0],
        1: [10.0, 20.0, 10.0],
        SPLIT: [14.0, 14.0, 7.0],
    }
    assert decide(drifting) == SPLIT
    # Within the margins nothing beats one thread: it leaves the other core free.
    assert decide({2: [9.5, 9.5, 9.5], 1: [10.0, 10.0, 10.0], SPLIT: [9.5, 9.5, 9.5]}) == 1
    assert decide({2: [8.0, 8.0, 8.0], 1: [10.0, 10.0, 10.0], SPLIT: [9.0, 9.0, 9.0]}) == 2
    assert decide({1: [10.0]}) == 1


def test_a_decision_stands_for_the_network_it_was_measured_on() -> None:
    """Variants of a comparison keep the tuner's decision while they train the same network; a
    different network (an MLP's one thread says nothing of a CNN) is measured again. A run
    with a fixed thread count leaves the tuner alone."""
    from models import threads

    before = torch.get_num_threads()
    try:
        tuner = threads.auto_threads(2)
        threads.training(("Mlp", 1000, 128))
        a = torch.randn(128, 128)
        while tuner.chosen is None:
            a = torch.tanh(a @ a.T / 128)
            tuner.tick()
        chosen = tuner.chosen
        threads.training(("Mlp", 1000, 128))  # the same network: the decision stands
        assert tuner.chosen == chosen
        threads.training(("Cnn", 2000, 128))  # another one: measured again
        assert tuner.chosen is None and tuner.network == ("Cnn", 2000, 128)
        use_threads(1)  # a fixed count: nothing to tune
        threads.training(("Mlp", 1000, 128))
        assert tuner.network == ("Cnn", 2000, 128) and torch.get_num_threads() == 1
    finally:
        threads.forget_decision()
        use_threads(before)
