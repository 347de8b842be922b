"""Parameter fields many experiments share; each experiment picks its own defaults and bounds."""

from __future__ import annotations

from typing import Any

from models.experiment import param

TRAIN_SIZE = 60_000


def epochs(default: int, maximum: int = 10) -> Any:
    return param(default, "에폭 수", "Epochs", ge=1, le=maximum)


def batch_size(default: int | None, minimum: int = 8, maximum: int = 1024) -> Any:
    if default is None:
        return param(
            None,
            "배치 크기 (비우면 기본값)",
            "Batch size (empty: the usual size)",
            ge=minimum,
            le=maximum,
        )
    return param(default, "배치 크기", "Batch size", ge=minimum, le=maximum)


def lr(default: float | None, maximum: float = 2.0) -> Any:
    if default is None:
        return param(
            None,
            "학습률 (비우면 기본값)",
            "Learning rate (empty: the usual rate)",
            ge=1e-5,
            le=maximum,
        )
    return param(default, "학습률", "Learning rate", ge=1e-5, le=maximum)


def train_subset(default: int, minimum: int = 500, maximum: int = TRAIN_SIZE) -> Any:
    return param(default, "사용할 학습 데이터 수", "Training examples used", ge=minimum, le=maximum)


def depth(default: int, maximum: int = 10) -> Any:
    return param(default, "은닉층 수", "Hidden layers", ge=1, le=maximum)


def width(default: int, maximum: int = 512, minimum: int = 8) -> Any:
    return param(default, "은닉층 뉴런 수", "Units per hidden layer", ge=minimum, le=maximum)


def dropout(default: float) -> Any:
    return param(default, "드롭아웃 확률", "Dropout probability", ge=0.0, le=0.9)
