"""How the demos' values, parameters and states read on pages, in Korean and English, and every
string the run page's scripts show."""

from __future__ import annotations

from typing import Any

from app.i18n import translate
from models import catalog
from models.catalog import Experiment

STATUS_LABELS = {
    "queued": "대기 중",
    "running": "훈련 중",
    "finished": "완료",
    "failed": "실패",
    "cancelled": "취소됨",
}


def number_text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def localised(schema: dict[str, Any], key: str, lang: str) -> str:
    """A schema's title or description in lang: `title_ko` / `title_en` beside `title`."""
    for name in (f"{key}_{lang}", f"x-{key}-{lang}"):
        if isinstance(schema.get(name), str):
            return str(schema[name])
    value = schema.get(key)
    return value if isinstance(value, str) else ""


# How parameter values read on pages: the catalogue's values are identifiers.
VALUE_LABELS = {
    "sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "ReLU", "leaky_relu": "LeakyReLU",
    "zeros": "0으로 초기화", "lecun": "LeCun", "xavier": "Xavier", "he": "He",
    "sgd": "SGD", "momentum": "모멘텀", "nesterov": "Nesterov", "rmsprop": "RMSprop",
    "adam": "Adam", "adagrad": "Adagrad", "mlp": "MLP", "cnn": "CNN",
    "cross_entropy": "교차 엔트로피", "bce": "BCE", "mse": "MSE",
    "raw": "원래 값 (0-255)", "unit": "[0, 1]", "standard": "표준화 (평균 0, 표준편차 1)",
    "stride": "stride 합성곱", "maxpool": "max pooling",
    "linear": "선형 모델", "deep_linear": "활성화 없는 깊은 망",
    "overfit_one_batch": "배치 하나 과적합", "shuffled_labels": "뒤섞은 라벨",
    "find_nan": "NaN 찾기", "sine": "sin", "square": "x²", "abs": "|x|",
    "resident": "장치에 올려 둔 데이터", "copied_per_step": "스텝마다 복사한 데이터",
}  # fmt: skip


def value_label(value: Any, lang: str) -> str:
    """A parameter value as a person reads it: "Sigmoid", "켬"/"on", "자동"/"auto", 0.01."""
    if value is None:
        return translate("자동", lang)
    if isinstance(value, bool):
        return translate("켬" if value else "끔", lang)
    if isinstance(value, str):
        return translate(VALUE_LABELS.get(value, value), lang)
    return number_text(value)


def param_titles(exp: Experiment | None, lang: str) -> dict[str, str]:
    """Each parameter's title in lang."""
    if exp is None:
        return {}
    schema = catalog.params_schema(exp)["properties"]
    return {name: localised(prop, "title", lang) or name for name, prop in schema.items()}


def _relevant(params: dict[str, Any]) -> dict[str, Any]:
    # A model's own options only: an MLP run does not list the CNN's, and the other way round.
    model = params.get("model")
    skip = {"mlp": "cnn_", "cnn": "mlp_"}.get(model) if isinstance(model, str) else None
    kept = {k: v for k, v in params.items() if skip is None or not k.startswith(skip)}
    if "seed" in kept:  # the seed matters least to a reader: last
        kept["seed"] = kept.pop("seed")
    return kept


def params_text(
    params: dict[str, Any],
    compare: list[dict[str, Any]] | None,
    titles: dict[str, str] | None = None,
    lang: str = "ko",
) -> str:
    """The run's settings in one line, titled and in units a person reads; a comparison names
    the values that differ first."""
    titles = titles or {}

    def pair(name: str, value: Any) -> str:
        return f"{titles.get(name, name)}: {value_label(value, lang)}"

    if not compare:
        return " · ".join(pair(k, v) for k, v in _relevant(params).items())
    varied = [k for k in compare[0] if any(c.get(k) != compare[0].get(k) for c in compare)]
    sides = " | ".join(", ".join(value_label(c.get(k), lang) for k in varied) for c in compare)
    head = f"{', '.join(titles.get(k, k) for k in varied)}: {sides}"
    common = " · ".join(pair(k, v) for k, v in _relevant(params).items() if k not in varied)
    return f"{head}  ·  {common}" if common else head


# ---- text for the scripts -------------------------------------------------------------------

FORM_TEXT = {
    "notNumber": "숫자를 입력하세요.",
    "notInteger": "정수를 입력하세요.",
    "range": "{min}에서 {max} 사이의 값을 입력하세요.",
    "atLeast": "{min} 이상이어야 합니다.",
    "atMost": "{max} 이하여야 합니다.",
    "multipleOf": "{step} 단위로 입력하세요.",
    "fixFields": "표시된 항목을 고쳐 주세요.",
    "compareCount": "서로 다른 값을 2~4개 고르세요.",
    "addValue": "값 추가",
    "removeValue": "{n}번째 값 빼기",
    "valueN": "{n}번째 값",
    "on": "켬",
    "off": "끔",
    "sending": "실행을 요청하는 중…",
    "started": "대기열에 올렸습니다. 실행 페이지로 이동합니다…",
    "network": "서버에 연결할 수 없습니다. 잠시 뒤 다시 시도하세요.",
    "busy": "지금은 실행할 수 없습니다.",
    "retryAfter": "{s}초 뒤에 다시 시도하세요.",
    "failed": "요청이 실패했습니다 (HTTP {status}).",
}

RUN_TEXT = {
    "run": "실행",
    "waiting": "대기열에서 차례를 기다리는 중…",
    "starting": "학습을 준비하는 중…",
    "failedTitle": "실행이 실패했습니다",
    "cancelledTitle": "실행이 취소되었습니다",
    "failedNoReason": "이유가 기록되지 않았습니다.",
    "cancelledNoReason": "요청에 따라 학습을 멈췄습니다.",
    "cancelling": "취소를 요청했습니다…",
    "loadFailed": "실행 정보를 불러오지 못했습니다:",
    "loss": "손실",
    "accuracy": "정확도 (%)",
    "epoch": "에포크",
    "device": "장치",
    "threads": "CPU 스레드",
    "threadsSplitBatch": "{n} (배치를 반씩 두 프로세스에서)",
    "threadsSplitHidden": "{n} (은닉 유닛을 반씩 두 프로세스에서)",
    "together": "함께 학습",
    "togetherN": "{n}개 설정을 한 모델로 묶어 동시에",
    "torch": "PyTorch 버전",
    "params": "매개변수",
    "trueVsPred": "정답 \\ 예측",
    "cellTitle": "정답 {t}, 예측 {p}: {n}개",
    "truthShort": "(정답 {n})",
    "sampleLabel": "정답 {t}, 모델의 예측 {p}",
    "samplesNote": "틀린 숫자 {m}개를 먼저, 모두 {n}개를 보여 줍니다.",
    "loadingModel": "학습된 모델을 불러오는 중…",
    "modelFailed": "모델을 불러오지 못했습니다:",
    "drawHint": "캔버스에 0~9 숫자 하나를 크게 그려 보세요.",
    "guess": "예측: {d} ({p})",
    "monitors": "함께 기록한 손실",
    "noProgress": "기록된 진행 상황이 없습니다.",
    "gradNorms": "층별 기울기 노름 (로그 눈금)",
    "auto": "자동",
    "on": "켬",
    "off": "끔",
    "seconds": "초",
    "queueNext": "대기열 맨 앞입니다. 곧 시작합니다.",
    "queueAhead": "대기열에서 앞에 {n}개가 기다리고 있습니다.",
    "noWorker": "지금 실행 중인 워커가 없습니다. 워커가 다시 시작되면 이어서 실행됩니다.",
    "percentDone": "{p}% 완료",
    "timeLeft": "약 {s}초 남음",
    "cachedFrom": "같은 설정의 실행(#{id}, {t})에서 저장된 결과를 바로 보여 줍니다.",
    "codeLines": "빈 줄을 뺀 {n}줄, 그중 역전파 {b}줄 (표시된 줄)",
}
CURVE_LABELS = {
    "train": "학습",
    "validation": "검증",
    "test": "테스트",
    "cross_entropy": "교차 엔트로피",
    "bce": "BCE",
    "mse": "MSE",
}
METRIC_LABELS = {
    "grad_norm": "기울기 노름",
    "weight_norm": "가중치 노름",
    "weight_std": "가중치 표준편차",
    "weight_mean": "가중치 평균",
    "activation_mean": "활성값 평균",
    "activation_std": "활성값 표준편차",
    "dead_fraction": "죽은 뉴런 비율",
    "params": "파라미터 수",
    "saturated_fraction": "포화된 출력 비율",
    "weight_shape": "가중치 모양",
    "activation": "활성화",
    "kind": "종류",
    "name": "층",
    "mode": "모드",
    "batch_size": "배치 크기",
    "accuracy": "정확도",
    "inference_modes": "추론 모드별 정확도",
    "lr": "학습률",
    "steps_per_epoch": "에폭당 스텝 수",
    "input_range": "입력 값 범위",
    "validation_size": "검증 데이터 수",
    "throughput": "처리량",
    "images_per_s": "초당 이미지",
    "step_ms": "스텝당 ms",
    "seconds": "초",
    "steps": "스텝 수",
    "device": "장치",
    "device_name": "장치 이름",
    "data": "데이터",
    "gpu_available": "GPU 사용 가능",
    "memory": "메모리",
    "kinks": "꺾이는 점의 위치",
    "train_loss": "최종 학습 손실",
    "min": "최소",
    "max": "최대",
    "mean": "평균",
    "barrier": "두 해 사이 손실 언덕의 높이",
    "best_lr": "가장 좋은 학습률",
    "best_batch_size": "가장 좋은 배치 크기",
    "fitted_temperature": "검증 절반에 맞춘 온도",
    "true_label_of_example": "예시 이미지의 정답",
    "graph_nodes": "그래프 노드 수",
    "best_epoch": "가장 좋은 에폭",
    "stopped_early_at": "조기 종료한 에폭",
    "weights": "가중치",
    "gradients": "기울기",
    "optimizer_state": "옵티마이저 상태",
    "activations": "활성값",
    "saved_activations": "역전파용으로 저장한 활성값",
    "inputs": "입력",
    "total": "합계",
    "cuda_peak_step": "CUDA 스텝 최대 사용량",
    "estimated": "추정",
    "measured": "측정",
}


def translated(table: dict[str, str], lang: str) -> dict[str, str]:
    return {key: translate(text, lang) for key, text in table.items()}


def run_text(lang: str, exp: Experiment | None = None) -> dict[str, Any]:
    """Every string the run page's scripts show, in lang, with the experiment's parameter
    titles and how its values read."""
    text: dict[str, Any] = translated(RUN_TEXT, lang)
    text["params"] = param_titles(exp, lang)
    text["values"] = {value: translate(label, lang) for value, label in VALUE_LABELS.items()}
    text["status"] = translated(STATUS_LABELS, lang)
    text["metrics"] = translated(METRIC_LABELS, lang)
    text["curves"] = translated(CURVE_LABELS, lang)
    return text
