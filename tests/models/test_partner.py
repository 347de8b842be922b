"""Split batches: a real forked partner process trains each batch's second half."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from models.nets import Cnn, CnnConfig, Mlp, MlpConfig
from models.optim import loss_function
from models.pair import PartnerError
from models.partner import Partner, SplitBatches
from models.threads import can_split, use_threads
from models.train import Dataset, TrainConfig

ROOT = Path(__file__).resolve().parents[2]
CRITERION = loss_function("cross_entropy", label_smoothing=0.1)


def _data(n: int = 300) -> Dataset:
    generator = torch.Generator().manual_seed(0)
    inputs = torch.randn(n, 1, 28, 28, generator=generator)
    return Dataset(inputs, torch.randint(0, 10, (n,), generator=generator))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_only_models_that_look_at_one_example_at_a_time_split() -> None:
    cpu = torch.device("cpu")
    assert can_split(Cnn(CnnConfig()), cpu)
    assert can_split(Mlp(MlpConfig(hidden=(32,))), cpu)
    assert not can_split(Cnn(CnnConfig(batch_norm=True)), cpu)
    assert not can_split(Mlp(MlpConfig(dropout=0.1)), cpu)
    assert not can_split(Cnn(CnnConfig()), torch.device("meta"))


def test_the_halves_add_up_to_the_whole_batch_the_same_way_every_time() -> None:
    """Gradients, logits and loss of a split step equal the whole batch's, and two split steps
    on the same weights give the very same numbers (the halves add in a fixed order). Steps of
    an odd size and a weight update between steps reach the partner too."""
    torch.manual_seed(0)
    model = Cnn(CnnConfig()).to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    data = _data()
    partner = Partner(model, data, CRITERION, channels_last=True, max_batch=64)
    try:
        for index in (torch.arange(37), torch.arange(100, 164)):
            inputs = data.inputs[index].contiguous(memory_format=torch.channels_last)
            model.zero_grad(set_to_none=True)
            whole_logits = model(inputs)
            whole = CRITERION(whole_logits, data.labels[index])
            whole.backward()
            expected = [p.grad.clone() for p in model.parameters()]  # type: ignore[union-attr]
            runs = []
            for _ in range(2):
                model.zero_grad(set_to_none=True)
                logits, loss = partner.step(index)
                torch.testing.assert_close(logits, whole_logits.detach(), rtol=1e-4, atol=1e-5)
                torch.testing.assert_close(loss, whole.detach())
                runs.append([p.grad.clone() for p in model.parameters()])  # type: ignore[union-attr]
            for got, want, again in zip(runs[0], expected, runs[1], strict=True):
                torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-6)
                assert torch.equal(got, again)
            with torch.no_grad():  # the partner reads the weights this process writes
                for p in model.parameters():
                    p.add_(0.01)
    finally:
        partner.close()


def test_a_partner_that_dies_fails_the_step_with_a_clear_error() -> None:
    model = Mlp(MlpConfig(hidden=(32,)))
    partner = Partner(model, _data(), CRITERION, channels_last=False, max_batch=32)
    assert partner.pid is not None
    os.kill(partner.pid, signal.SIGKILL)
    with pytest.raises(PartnerError, match="died"):
        partner.step(torch.arange(32))
    partner.close()  # nothing left to end


def test_a_partner_whose_half_fails_reports_it_and_is_ended() -> None:
    model = Mlp(MlpConfig(hidden=(32,)))
    partner = Partner(model, _data(), CRITERION, channels_last=False, max_batch=32)
    pid = partner.pid
    assert pid is not None
    with pytest.raises(PartnerError, match="failed"):
        partner.step(torch.tensor([0, 1, 2, 99_999]))  # the partner's row is out of range
    assert partner.pid is None
    assert not _alive(pid)


def test_the_partner_is_forked_at_the_first_split_step_and_ended_with_the_run() -> None:
    model = Mlp(MlpConfig(hidden=(32,)))
    config = TrainConfig(epochs=1, batch_size=32)
    before = torch.get_num_threads()
    try:
        with SplitBatches(model, _data(), config) as halves:
            use_threads(1)
            assert not halves.ready(CRITERION) and halves._partner is None
            use_threads(1, split_batches=True)
            assert halves.ready(CRITERION)
            halves.step(torch.arange(32))
            pid = halves._partner.pid if halves._partner else None
            assert pid is not None and _alive(pid)
            assert halves.steps == 1
    finally:
        use_threads(before)
    deadline = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not _alive(pid)  # ended and reaped: no zombie either


def test_a_partner_dies_with_a_run_that_is_killed() -> None:
    """A job's process killed outright (the worker's SIGKILL) takes its partner with it."""
    code = (
        "import time, torch\n"
        "from models.nets import Mlp, MlpConfig\n"
        "from models.partner import Partner\n"
        "from tests.models.test_partner import CRITERION, _data\n"
        "p = Partner(Mlp(MlpConfig(hidden=(8,))), _data(40), CRITERION, channels_last=False,"
        " max_batch=8)\n"
        "print(p.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    run = subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert run.stdout is not None
        pid = int(run.stdout.readline())
        assert _alive(pid)
        run.kill()
        run.wait(timeout=10)
        deadline = time.monotonic() + 10
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not _alive(pid)
    finally:
        run.kill()
        run.wait(timeout=10)


def test_a_network_too_big_for_shared_memory_trains_on_whole_batches() -> None:
    """/dev/shm too small for the weights (a container's 64 MB default and a wide network): the
    run stays on whole batches instead of dying of SIGBUS in the partner."""
    import models.partner as partner_module

    shm = partner_module._room_in_shared_memory
    model = Mlp(MlpConfig(hidden=(32,)))
    assert shm(model, 32)  # this machine's /dev/shm holds a small network
    free = os.statvfs(partner_module.SHM)
    wide = free.f_bavail * free.f_frsize // 32  # parameters whose shared copies fill 5/8 of it
    with torch.device("meta"):  # shapes only: no memory for the weights
        huge = Mlp(MlpConfig(hidden=(max(1, wide // 784),)))
    assert not shm(huge, 32)


@pytest.mark.parametrize("kind", [torch.optim.Adam, torch.optim.AdamW])
def test_adam_split_between_the_two_processes_takes_the_whole_batchs_step(
    kind: type[torch.optim.Adam],
) -> None:
    """With fused Adam (or AdamW) each side adds the other's gradients into its half of the
    weights' elements and steps it: after several steps the weights and Adam's state match
    steps on the whole batch, .grad holds the whole gradient when asked for, and a later
    whole-batch step (the tuner may switch) carries on from the same state."""
    from models.partner import SplitBatches

    data = _data()
    config = TrainConfig(epochs=1, batch_size=48, channels_last=True)
    runs = []
    for split in (False, True):
        torch.manual_seed(0)
        model = Cnn(CnnConfig()).to(memory_format=torch.channels_last)  # type: ignore[call-overload]
        optimizer = kind(model.parameters(), lr=0.01, weight_decay=0.01, fused=True)
        before = torch.get_num_threads()
        use_threads(1, split_batches=split)
        try:
            with SplitBatches(model, data, config, optimizer) as halves:
                for step in range(6):
                    index = torch.arange(step * 48, (step + 1) * 48)
                    model.zero_grad(set_to_none=True)
                    if halves.ready(CRITERION):
                        halves.step(index, whole_grads=step == 4)  # only step 4's are read
                        assert halves.steps_optimizer
                    else:
                        inputs = data.inputs[index].contiguous(memory_format=torch.channels_last)
                        CRITERION(model(inputs), data.labels[index]).backward()
                        optimizer.step()
                    if step == 4:
                        grads = [p.grad.clone() for p in model.parameters()]  # type: ignore[union-attr]
                    if step == 4 and split:
                        use_threads(1)  # the last step on the whole batch again
                assert halves.steps == (4 if split else 0)  # the first makes Adam's state
        finally:
            use_threads(before)
        state = [optimizer.state[p] for p in model.parameters()]
        runs.append(([p.detach().clone() for p in model.parameters()], grads, state))
    _same_training(runs[0], runs[1])


def _same_training(whole: tuple, split: tuple) -> None:
    """Weights, the gradient read, and Adam's state after 6 steps agree to rounding."""
    (weights, grads, state), (split_weights, split_grads, split_state) = whole[:3], split[:3]
    for a, b in zip(weights, split_weights, strict=True):
        torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-5)
    for a, b in zip(grads, split_grads, strict=True):
        torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-6)
    for a, b in zip(state, split_state, strict=True):
        assert float(a["step"]) == float(b["step"]) == 6
        torch.testing.assert_close(b["exp_avg"], a["exp_avg"], rtol=1e-3, atol=1e-8)
        torch.testing.assert_close(b["exp_avg_sq"], a["exp_avg_sq"], rtol=1e-3, atol=1e-9)


def test_a_job_told_to_stop_ends_its_partner_and_leaves_no_orphan() -> None:
    """The worker stops a job with SIGTERM. The job's process kills and reaps its partner
    before it dies of the signal, so no orphan is left for PID 1 (in a container, the worker
    itself) to reap. Checked from a subreaper: an orphan would become its child."""
    code = (
        "import ctypes, os, signal, time\n"
        "ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER\n"
        "r, w = os.pipe()\n"
        "job = os.fork()\n"
        "if job == 0:\n"
        "    from app.worker.runtime import stop_on_sigterm\n"
        "    from models.nets import Mlp, MlpConfig\n"
        "    from models.partner import Partner\n"
        "    from tests.models.test_partner import CRITERION, _data\n"
        "    p = Partner(Mlp(MlpConfig(hidden=(8,))), _data(40), CRITERION,"
        " channels_last=False, max_batch=8)\n"
        "    stop_on_sigterm()\n"
        "    os.write(w, b'%d\\n' % p.pid)\n"
        "    time.sleep(60)\n"
        "    os._exit(0)\n"
        "partner = int(os.read(r, 64))\n"
        "os.kill(job, signal.SIGTERM)\n"
        "_, status = os.waitpid(job, 0)\n"
        "time.sleep(0.5)\n"
        "try:\n"
        "    orphan = os.waitpid(-1, os.WNOHANG)[0]\n"
        "except ChildProcessError:\n"
        "    orphan = 0\n"
        "print(os.WTERMSIG(status) if os.WIFSIGNALED(status) else -1, partner, orphan)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    signal_number, partner, orphan = map(int, done.stdout.split())
    assert signal_number == signal.SIGTERM  # the job still dies of the signal
    assert orphan == 0, f"partner {partner} was left an orphan"
    assert not _alive(partner)


def _adam_steps(
    model: torch.nn.Module, kind: type[torch.optim.Adam], *, split: bool, steps: int = 6
) -> tuple[list[torch.Tensor], list[torch.Tensor], list[dict], type | None]:
    """`steps` Adam steps of 40 rows each on split or whole batches: the weights after them,
    the gradient of step 4 (the only one read), Adam's state, and the partner's kind."""
    data = _data()
    config = TrainConfig(epochs=1, batch_size=40)
    optimizer = kind(model.parameters(), lr=0.01, weight_decay=0.01, fused=True)
    before = torch.get_num_threads()
    use_threads(1, split_batches=split)
    grads: list[torch.Tensor] = []
    try:
        with SplitBatches(model, data, config, optimizer) as halves:
            for step in range(steps):
                index = torch.arange(step * 40, (step + 1) * 40)
                model.zero_grad(set_to_none=True)
                if halves.ready(CRITERION):
                    with torch.no_grad():  # the logits before the step, on the whole batch
                        expected = model(data.inputs[index])
                    logits, loss = halves.step(index, whole_grads=step == 4)
                    assert halves.steps_optimizer
                    torch.testing.assert_close(logits, expected, rtol=1e-4, atol=1e-5)
                    torch.testing.assert_close(loss, CRITERION(expected, data.labels[index]))
                else:
                    CRITERION(model(data.inputs[index]), data.labels[index]).backward()
                    optimizer.step()
                if step == 4:
                    grads = [p.grad.clone() for p in model.parameters()]  # type: ignore[union-attr]
            kind_of_partner = type(halves._partner) if halves._partner else None
    finally:
        use_threads(before)
    state = [dict(optimizer.state[p]) for p in model.parameters()]
    return [p.detach().clone() for p in model.parameters()], grads, state, kind_of_partner


@pytest.mark.parametrize(("kind", "bias"), [(torch.optim.Adam, True), (torch.optim.AdamW, False)])
def test_a_one_hidden_layer_mlp_splits_its_hidden_units_and_takes_the_whole_batchs_step(
    kind: type[torch.optim.Adam], bias: bool
) -> None:
    """An MLP of one hidden layer with Adam (or AdamW, here without biases) splits its hidden
    units, not its batches: each side steps its own units, and after several steps the weights,
    the gradient read at step 4 and Adam's state match whole-batch steps. Two split runs give
    the very same weights."""
    from models.hidden_halves import HiddenPartner

    runs = []
    for split in (False, True, True):
        torch.manual_seed(0)
        model = Mlp(MlpConfig(hidden=(33,), bias=bias))
        runs.append(_adam_steps(model, kind, split=split))
    whole, split, again = runs
    assert whole[3] is None and split[3] is HiddenPartner
    _same_training(whole, split)
    for a, b in zip(split[0], again[0], strict=True):
        assert torch.equal(a, b)


def test_deeper_mlps_split_their_batches() -> None:
    torch.manual_seed(0)
    model = Mlp(MlpConfig(hidden=(16, 16)))
    assert _adam_steps(model, torch.optim.Adam, split=True, steps=2)[3] is Partner


def test_a_hidden_units_partner_that_dies_fails_the_step_with_a_clear_error() -> None:
    """The partner of a hidden-units split killed between steps: the next step fails with a
    clear error instead of waiting forever for the partner's share of the logits."""
    torch.manual_seed(0)
    model = Mlp(MlpConfig(hidden=(16,)))
    data, config = _data(), TrainConfig(epochs=1, batch_size=32)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01, fused=True)
    CRITERION(model(data.inputs[:32]), data.labels[:32]).backward()
    optimizer.step()  # Adam's state, before the fork
    before = torch.get_num_threads()
    use_threads(1, split_batches=True)
    try:
        with SplitBatches(model, data, config, optimizer) as halves:
            assert halves.ready(CRITERION)
            halves.step(torch.arange(32))
            assert halves.kind == "hidden_units" and halves._partner is not None
            pid = halves._partner.pid
            assert pid is not None
            os.kill(pid, signal.SIGKILL)
            with pytest.raises(PartnerError, match="died"):
                halves.step(torch.arange(32, 64))
    finally:
        use_threads(before)
