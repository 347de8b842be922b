"""GPU vs CPU throughput and the memory training needs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from models.cost import cnn_train_s, mlp_train_s
from models.experiment import Answer, Experiment, Int, Params, param
from models.experiments import _fields as f

if TYPE_CHECKING:
    from models.runner import Context


class DeviceParams(Params):
    model: Literal["mlp", "cnn"] = param("cnn", "모델", "Model")
    batch_size: Int = f.batch_size(256, 16, 4096)
    benchmark_steps: Int = param(30, "장치별 측정 스텝 수", "Timed steps per device", ge=5, le=200)
    epochs: Int = f.epochs(1, 3)
    train_subset: Int = f.train_subset(20000, 1000)


def cost(p: DeviceParams) -> float:
    timed = p.benchmark_steps * p.batch_size
    if p.model == "cnn":
        return cnn_train_s(p.train_subset, p.epochs) + cnn_train_s(timed, 1, evaluate=0)
    return mlp_train_s((256,), p.train_subset, p.epochs, p.batch_size) + mlp_train_s(
        (256,), timed, 1, p.batch_size, evaluate=0
    )


def run(p: DeviceParams, context: Context) -> dict[str, Any]:
    """Train briefly on the job's device, then time steps on every device and measure memory."""
    from models.devicebench import device_report
    from models.runner import cnn, mlp, standard_plan
    from models.train import TrainConfig

    is_cnn = p.model == "cnn"

    def build() -> Any:
        return cnn() if is_cnn else mlp((256,))

    config = TrainConfig(
        epochs=p.epochs,
        batch_size=p.batch_size,
        optimizer="adam",
        lr=0.01,
        schedule="one_cycle",
        label_smoothing=0.1,
        channels_last=is_cnn,
    )
    plan = standard_plan(build(), config, context, p.train_subset)
    plan.after = lambda _model: device_report(
        build,
        plan.train,
        context.device,
        batch_size=p.batch_size,
        steps=p.benchmark_steps,
        channels_last=is_cnn,
    )
    return context.train(plan)


EXPERIMENT = Experiment(
    slug="device",
    order=100,
    title_ko="GPU 대 CPU 처리량과 학습 메모리",
    title_en="GPU vs CPU throughput and training memory",
    summary_ko=(
        "같은 모델의 학습 처리량(초당 이미지)을 CPU와, 있으면 GPU에서 재고, 학습에 필요한 "
        "메모리(가중치, 기울기, 옵티마이저 상태, 활성값)의 추정치와 측정치를 비교합니다."
    ),
    summary_en=(
        "Measures training throughput (images per second) of the same model on the CPU and, "
        "when present, the GPU, and compares the estimated and measured memory of training "
        "(weights, gradients, optimiser state, activations)."
    ),
    answers=(
        Answer(
            "20",
            "'처리량' 표의 초당 이미지 수를 장치별로 비교하세요. GPU가 있으면 큰 배치에서 "
            "차이가 커집니다: 같은 연산을 수천 개의 코어가 나눠 합니다.",
            "Compare images per second by device in the throughput table; with a GPU the gap "
            "grows with the batch: thousands of cores share the same operation.",
        ),
        Answer(
            "20-1",
            "배치 크기를 바꿔 비교하면 GPU는 배치가 커질수록 처리량이 늘고, CPU는 금방 "
            "포화됩니다. 작은 모델은 GPU가 오히려 느릴 수 있습니다.",
            "Across batch sizes the GPU's throughput keeps growing while the CPU saturates "
            "early; for a tiny model the GPU can even be slower.",
        ),
        Answer(
            "20-3",
            "'메모리' 항목: 가중치, 기울기, Adam 상태(가중치의 2배), 활성값의 추정치와 "
            "측정치를 비교하세요. 배치가 커지면 활성값이 대부분을 차지합니다.",
            "The memory entries: weights, gradients, Adam's state (twice the weights) and "
            "activations, estimated against measured. Large batches make activations dominate.",
        ),
    ),
    params_model=DeviceParams,
    compare_param="batch_size",
    compare_values=(64, 256, 1024),
    cost=cost,
    budget_param="train_subset",
    run=run,
)
