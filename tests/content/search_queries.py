"""Realistic queries over the whole library and the questions a reader means by them.

Korean and English, with and without spacing, with particles, synonyms, transliterations,
abbreviations and question numbers. A query counts as found when one of its questions is in
the top 3. Used by tests/content/test_search_eval.py and benches/bench_search.py.
"""

from __future__ import annotations

QUERIES: list[tuple[str, set[str]]] = [
    # synonyms and transliterations, both ways
    ("과적합", {"deep-learning/6"}),
    ("overfitting", {"deep-learning/6"}),
    ("오버피팅 해결", {"deep-learning/6"}),
    ("역전파", {"deep-learning/13-3", "deep-learning/18-2"}),
    ("backprop", {"deep-learning/13-3", "deep-learning/18-2"}),
    ("back propagation", {"deep-learning/13-3", "deep-learning/18-2"}),
    ("파이토치 텐서플로 차이", {"deep-learning/3"}),
    ("pytorch", {"deep-learning/3", "deep-learning/19", "deep-learning/10"}),
    ("드롭아웃", {"deep-learning/16-1"}),
    ("데드락", {"operating-system/11"}),
    ("교착 상태 조건", {"operating-system/11"}),
    ("경사하강법", {"deep-learning/13"}),
    ("퀵소트", {"algorithm/2-6"}),
    ("다이나믹 프로그래밍", {"algorithm/4"}),
    ("해시테이블", {"data-structure/2"}),
    ("연결 리스트", {"data-structure/1"}),
    ("교차 검증", {"machine-learning/22"}),
    ("주성분 분석", {"machine-learning/6", "machine-learning/5"}),
    # spacing and particles
    ("배치정규화", {"deep-learning/16"}),
    ("배치 정규화", {"deep-learning/16"}),
    ("배치 정규화의 효과", {"deep-learning/16"}),
    ("정규화를", {"machine-learning/2", "deep-learning/4", "deep-learning/16"}),
    ("로컬 미니마", {"deep-learning/14", "machine-learning/3", "deep-learning/14-1"}),
    ("로컬미니마", {"deep-learning/14", "machine-learning/3", "deep-learning/14-1"}),
    ("가상메모리", {"operating-system/10"}),
    ("프로세스와 스레드의 차이", {"operating-system/1"}),
    ("뮤텍스 세마포어", {"operating-system/5"}),
    ("중심극한정리", {"statistics/11"}),
    ("차원의저주", {"machine-learning/4"}),
    ("기울기 소실", {"deep-learning/12", "deep-learning/12-3"}),
    # abbreviations and English
    ("BN", {"deep-learning/16", "deep-learning/16-2", "deep-learning/16-3"}),
    ("GAN generator", {"deep-learning/16-3"}),
    ("SGD Adam", {"deep-learning/17"}),
    ("TCP UDP", {"network/4", "network/5"}),
    ("3-way handshake", {"network/6", "network/7"}),
    ("https", {"network/10", "network/12"}),
    ("CORS", {"network/13"}),
    ("GIL", {"python/67"}),
    ("decorator", {"python/69"}),
    ("deep copy shallow copy", {"python/49"}),
    ("ROC curve", {"machine-learning/18"}),
    ("XGBoost", {"machine-learning/23"}),
    ("p-value", {"statistics/8"}),
    ("dijkstra", {"algorithm/6-2-1"}),
    ("ReLU 문제점", {"deep-learning/12-3"}),
    ("sigmoid 대신 relu", {"deep-learning/12"}),
    ("MNIST 분류기", {"deep-learning/18", "deep-learning/19"}),
    ("GPU 메모리 계산", {"deep-learning/20-3"}),
    # question numbers
    ("#12", {"deep-learning/12"}),
    ("12-3", {"deep-learning/12-3"}),
    ("6-2-1", {"algorithm/6-2-1"}),
]
