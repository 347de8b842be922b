"""Data parallelism: the same training in one process and with DistributedDataParallel over two
processes (gloo), each taking half of every batch: the same weights, and the measured speed-up."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from models.experiment import Answer, Experiment, Float, Int, Params, param
from models.experiments import _fields as f

if TYPE_CHECKING:
    import torch

    from models.runner import Context

PROCESSES = 2
# Starting two interpreters (each imports torch) and meeting over gloo; not training time.
START_S = 6.0


class ParallelParams(Params):
    width: Int = f.width(512, 2048)
    steps: Int = param(150, "학습 스텝 수", "Training steps", ge=10, le=2000)
    batch_size: Int = f.batch_size(256, 16, 2048)
    lr: Float = f.lr(0.05, 1.0)
    train_subset: Int = f.train_subset(10000)


def cost(p: ParallelParams) -> float:
    macs = 784 * p.width + p.width * 10
    step = 0.5e-3 + 3 * p.batch_size * macs * 0.02e-9  # measured 15 ms at width 2048
    return START_S + 2.2 * p.steps * step


def _model(width: int) -> torch.nn.Module:
    from models.runner import mlp

    return mlp((width,))


def _train(
    model: torch.nn.Module,
    inputs: torch.Tensor,
    labels: torch.Tensor,
    batches: torch.Tensor,
    lr: float,
    part: tuple[int, int] = (0, 1),
    check: Any = None,
) -> tuple[list[float], float]:
    """Plain SGD over `batches` (steps x batch indices); this process takes share part[0] of
    part[1] of every batch. Returns each step's loss (its own share's) and the seconds."""
    import torch

    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    rank, size = part
    losses = []
    started = time.perf_counter()
    for batch in batches:
        if check is not None:
            check()
        share = batch.chunk(size)[rank]
        loss = torch.nn.functional.cross_entropy(model(inputs[share]), labels[share])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()  # under DDP: the gradients are averaged over the processes here
        optimizer.step()
        losses.append(loss.detach())
    seconds = time.perf_counter() - started
    return [float(v) for v in torch.stack(losses).tolist()], seconds


def _replica(rank: int, folder: str) -> None:
    """One of the data-parallel processes: reads the job from `folder`, writes its result."""
    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    torch.set_num_threads(1)  # one core each: the point is two cores against one
    job = torch.load(os.path.join(folder, "job.pt"), weights_only=True)
    init = f"file://{os.path.join(folder, 'rendezvous')}"
    dist.init_process_group("gloo", init_method=init, rank=rank, world_size=PROCESSES)
    try:
        model = _model(int(job["width"]))
        model.load_state_dict(job["state"])
        parallel = DistributedDataParallel(model)
        dist.barrier()  # both ready: time the training only
        losses, seconds = _train(parallel, job["inputs"], job["labels"], job["batches"],
                                 float(job["lr"]), (rank, PROCESSES))  # fmt: skip
        result = {"losses": losses, "seconds": seconds}
        if rank == 0:
            result["state"] = model.state_dict()
        torch.save(result, os.path.join(folder, f"out-{rank}.pt"))
        dist.barrier()  # neither tears down gloo while the other may still be talking
    finally:
        dist.destroy_process_group()


def _run_replicas(folder: str, context: Context) -> list[dict[str, Any]]:
    """Start the processes as fresh interpreters (this one may hold a thread pool that fork
    would break, and a job's process may not have multiprocessing children), wait for them
    while honouring a cancel, and read their results."""
    import torch

    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    procs = [subprocess.Popen([sys.executable, "-m", "models.experiments.data_parallel",
                               str(rank), folder], env=env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for rank in range(PROCESSES)]  # fmt: skip
    try:
        while any(proc.poll() is None for proc in procs):
            context.check()
            if any(proc.poll() not in (None, 0) for proc in procs):
                break
            time.sleep(0.05)
        for proc in procs:
            if proc.wait() != 0:
                error = (proc.stderr.read() if proc.stderr else b"").decode(errors="replace")
                raise RuntimeError(f"a data-parallel process failed: {error[-500:]}")
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return [torch.load(os.path.join(folder, f"out-{r}.pt"), weights_only=True)
            for r in range(PROCESSES)]  # fmt: skip


def run(p: ParallelParams, context: Context) -> dict[str, Any]:
    """Single process (one thread) against 2 DDP processes (one thread each), from the same
    weights over the same global batches. The two halves' mean gradients, averaged by DDP,
    equal the whole batch's mean gradient, so the weights agree up to float rounding."""
    import torch

    from models.runner import accuracy, custom_result, downsample, text

    data = context.train_set(p.train_subset)
    inputs, labels = data.inputs.cpu(), data.labels.cpu()
    batches = torch.randint(0, len(labels), (p.steps, p.batch_size), generator=context.generator)
    start = _model(p.width)
    state = {k: v.clone() for k, v in start.state_dict().items()}
    test = context.test_set()

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        context.progress(0, 3)
        single = _model(p.width)
        single.load_state_dict(state)
        single_losses, single_s = _train(single, inputs, labels, batches, p.lr,
                                         check=context.check)  # fmt: skip
    finally:
        torch.set_num_threads(threads)
    context.progress(1, 3)

    with tempfile.TemporaryDirectory() as folder:
        job = {"width": p.width, "lr": p.lr, "state": state, "inputs": inputs,
               "labels": labels, "batches": batches}  # fmt: skip
        torch.save(job, os.path.join(folder, "job.pt"))
        replies = _run_replicas(folder, context)
    context.progress(2, 3)
    parallel = _model(p.width)
    parallel.load_state_dict(replies[0]["state"])
    halves = [reply["losses"] for reply in replies]
    parallel_losses = [sum(step) / PROCESSES for step in zip(*halves, strict=True)]
    parallel_s = max(reply["seconds"] for reply in replies)
    pairs = zip(single.state_dict().values(), parallel.state_dict().values(), strict=True)
    gap = max(float((a - b).abs().max()) for a, b in pairs)
    single_acc, parallel_acc = (
        accuracy(single.to(context.device), test),
        accuracy(parallel.to(context.device), test),
    )
    context.progress(3, 3)
    xs, single_y = downsample(single_losses)
    _, parallel_y = downsample(parallel_losses)
    chart = {
        "title": text("스텝별 학습 손실", "Training loss by step"),
        "x": text("스텝", "step"), "y": text("손실", "loss"),
        "series": [{"name": text("프로세스 1개", "1 process"), "x": xs, "y": single_y,
                    "style": "line"},
                   {"name": text("DDP 프로세스 2개", "DDP, 2 processes"), "x": xs,
                    "y": parallel_y, "style": "dashed"}],
    }  # fmt: skip
    speedup = single_s / parallel_s if parallel_s > 0 else None
    table = {
        "title": text("같은 학습, 프로세스 1개와 2개", "The same training, 1 and 2 processes"),
        "columns": [text("방식", "setup"), text("학습 초", "training s"),
                    text("초당 스텝", "steps/s"), text("속도 향상", "speed-up"),
                    text("테스트 정확도", "test accuracy")],
        "rows": [[text("프로세스 1개 (스레드 1개)", "1 process (1 thread)"), single_s,
                  p.steps / single_s, 1.0, single_acc],
                 [text("DDP, 프로세스 2개 (gloo, 각 스레드 1개)",
                       "DDP, 2 processes (gloo, 1 thread each)"), parallel_s,
                  p.steps / parallel_s, speedup, parallel_acc]],
        "percent": [4],
    }  # fmt: skip
    same = {
        "title": text("두 방식의 가중치 차이", "How far apart the weights end"),
        "columns": [text("가장 큰 |차이|", "largest |difference|"),
                    text("가중치 수", "weights")],
        "rows": [[gap, sum(v.numel() for v in state.values())]],
    }  # fmt: skip
    return custom_result(
        charts=[chart], tables=[table, same], test_accuracy=parallel_acc,
        train_time_s=single_s + parallel_s,
        extra={"speedup": speedup, "max_weight_difference": gap, "cpus": os.cpu_count()},
    )  # fmt: skip


EXPERIMENT = Experiment(
    slug="data-parallel",
    order=205,
    title_ko="데이터 병렬: DistributedDataParallel로 프로세스 2개",
    title_en="Data parallelism: DistributedDataParallel over 2 processes",
    summary_ko=(
        "같은 MLP를 프로세스 1개로, 그리고 DDP로 프로세스 2개(gloo, CPU)가 배치를 반씩 나눠 "
        "학습합니다. 같은 시작, 같은 배치에서 가중치가 같게 끝나는지와 속도 향상을 잽니다. "
        "GPU 두 개라면 같은 코드에 NCCL과 장치 번호만 바뀝니다."
    ),
    summary_en=(
        "Trains the same MLP in one process, and with DDP over 2 processes (gloo, CPU) that each "
        "take half of every batch; from the same start and batches, checks that the weights "
        "end the same and measures the speed-up. With two GPUs only NCCL and the device ids "
        "change."
    ),
    answers=(
        Answer(
            "20-2",
            "DDP는 프로세스마다 모델을 하나씩 두고 배치를 나눠 계산한 뒤, backward 중에 "
            "기울기를 all-reduce로 평균합니다. '가중치 차이'가 부동소수점 오차 수준이면 한 "
            "프로세스의 학습과 같다는 뜻입니다. 속도 향상은 스텝당 계산이 통신보다 클수록 "
            "커집니다(비교: 너비 64와 2048). 코어가 적거나 바쁜 기계에서는 1배에 못 미칠 수도 "
            "있습니다. 여러 GPU에서는 DataParallel보다 DDP를 권장합니다(GIL과 장치 0 병목이 "
            "없음).",
            "DDP keeps one model per process, splits each batch, and averages the gradients "
            "with an all-reduce during backward. A 'weights difference' at float rounding means "
            "the same training as one process. The speed-up grows with the computation a step "
            "does against what it sends (compare widths 64 and 2048); on a small or busy "
            "machine it can stay below 1. On several GPUs DDP is preferred over DataParallel "
            "(no GIL, no device-0 bottleneck).",
        ),
    ),
    params_model=ParallelParams,
    compare_param="width",
    compare_values=(64, 2048),
    cost=cost,
    budget_param="steps",
    run=run,
)


if __name__ == "__main__":  # a replica, started by _run_replicas
    from models.lifetime import die_with_parent

    # Killed with the job that started it (a cancel, a time limit): never left waiting on its
    # partner over gloo.
    die_with_parent()
    _replica(int(sys.argv[1]), sys.argv[2])
    # The result is on disk: leave without running C++ destructors, where gloo's threads could
    # still end the process with "terminate called without an active exception".
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
