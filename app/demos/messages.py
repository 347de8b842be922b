"""English for the demos feature's pages and scripts."""

EN: dict[str, str] = {
    # catalogue
    "MNIST 실험 데모": "MNIST experiment demos",
    "면접 질문의 답을 실제 학습으로 확인하세요. 설정을 골라 실행하면 손실과 정확도 곡선이 "
    "실시간으로 그려지고, 끝나면 혼동 행렬과 틀린 숫자, 층별 통계를 보고 직접 숫자를 그려 "
    "모델을 시험할 수 있습니다.": (
        "See interview answers happen in real training. Pick the settings and run: the loss and "
        "accuracy curves are drawn live, and at the end you get the confusion matrix, the digits "
        "it got wrong, per-layer statistics, and a pad to draw your own digit for the model."
    ),
    "실험 목록은 누구나 볼 수 있습니다. 실험을 실행하려면 계정이 필요합니다.": (
        "Anyone can browse the experiments; running one needs an account."
    ),
    "실험": "Experiments",
    "관련 질문": "Related questions",
    "실험 열기": "Open experiment",
    "아직 등록된 실험이 없습니다.": "No experiments are available yet.",
    "내 실행 기록": "My runs",
    "상태": "Status",
    "정확도": "Accuracy",
    "시작": "Started",
    "비교 {n}개": "{n} compared",
    "최근 {n}개만 보여 줍니다.": "Showing the latest {n} runs.",
    "아직 실행한 실험이 없습니다. 위에서 실험을 골라 실행해 보세요.": (
        "You have not run an experiment yet. Pick one above and run it."
    ),
    "대기 중": "Queued",
    "학습 중": "Training",
    "완료": "Finished",
    "실패": "Failed",
    "취소됨": "Cancelled",
    # experiment form
    "위치": "Breadcrumb",
    "설정": "Settings",
    "나란히 비교하기 (2~4개 설정)": "Compare side by side (2-4 settings)",
    "한 매개변수만 바꾼 설정 2~4개를 같은 시드와 데이터로 학습하고 한 차트에 함께 그립니다.": (
        "Trains 2-4 settings that differ in one parameter, on the same seed and data, and draws "
        "them on one chart."
    ),
    "비교할 매개변수": "Parameter to compare",
    "비교할 값": "Values to compare",
    "실행": "Run",
    "기본값으로": "Reset to defaults",
    "실험을 실행하려면 로그인하세요.": "Log in to run this experiment.",
    "로그인하고 실행하기": "Log in and run",
    "숫자를 입력하세요.": "Enter a number.",
    "정수를 입력하세요.": "Enter a whole number.",
    "{min}에서 {max} 사이의 값을 입력하세요.": "Enter a value from {min} to {max}.",
    "{min} 이상이어야 합니다.": "Must be at least {min}.",
    "{max} 이하여야 합니다.": "Must be at most {max}.",
    "{step} 단위로 입력하세요.": "Use steps of {step}.",
    "표시된 항목을 고쳐 주세요.": "Please fix the marked fields.",
    "서로 다른 값을 2~4개 고르세요.": "Choose 2 to 4 different values.",
    "값 추가": "Add a value",
    "{n}번째 값 빼기": "Remove value {n}",
    "{n}번째 값": "Value {n}",
    "켬": "on",
    "끔": "off",
    "실행을 요청하는 중…": "Requesting the run…",
    "대기열에 올렸습니다. 실행 페이지로 이동합니다…": "Queued. Opening the run…",
    "서버에 연결할 수 없습니다. 잠시 뒤 다시 시도하세요.": (
        "Cannot reach the server. Try again in a moment."
    ),
    "지금은 실행할 수 없습니다.": "The run cannot start right now.",
    "{s}초 뒤에 다시 시도하세요.": "Try again in {s} s.",
    "요청이 실패했습니다 (HTTP {status}).": "The request failed (HTTP {status}).",
    # run page
    "취소": "Cancel",
    "다시 설정하기": "Change settings",
    "불러오는 중…": "Loading…",
    "다시 실행하기": "Run again",
    "학습 곡선": "Training curves",
    "첫 진행 상황을 기다리는 중입니다. 학습이 시작되면 곡선이 실시간으로 그려집니다.": (
        "Waiting for the first progress report. The curves are drawn live once training starts."
    ),
    "손실 곡선": "Loss curve",
    "정확도 곡선": "Accuracy curve",
    "결과": "Results",
    "테스트 정확도": "Test accuracy",
    "테스트 손실": "Test loss",
    "학습 시간": "Training time",
    "파라미터 수": "Parameters",
    "비교한 설정": "Compared settings",
    "혼동 행렬": "Confusion matrix",
    "행은 정답, 열은 모델의 예측입니다.": "Rows are the true digit, columns the model's guess.",
    "테스트 숫자와 모델의 예측": "Test digits and the model's guesses",
    "층별 통계": "Per-layer statistics",
    "입력에 가까운 층부터 순서대로 보여 줍니다. 시그모이드처럼 포화되는 활성화에서는 앞쪽 층의 "
    "기울기가 사라지는 모습을 볼 수 있습니다.": (
        "Layers from the input onwards. With a saturating activation such as the sigmoid, watch "
        "the gradients of the early layers vanish."
    ),
    "지표": "Statistic",
    "로그 눈금": "Log scale",
    "색은 위 결과 표의 설정과 같습니다.": "Colours match the settings in the results table.",
    "실험별 측정값": "Measurements of this experiment",
    "직접 숫자를 그려 보세요": "Draw a digit",
    "학습된 모델이 이 브라우저 안에서 바로 계산합니다. 서버로 보내는 것은 없습니다.": (
        "The trained model runs right here in your browser; nothing is sent to the server."
    ),
    "숫자를 그리는 캔버스. 마우스나 손가락으로 그리고, Delete 키로 지웁니다.": (
        "Drawing pad: draw with the mouse or a finger; Delete clears it."
    ),
    "지우기": "Clear",
    "모델의 입력": "Model input",
    "숫자별 확률": "Probability of each digit",
    "대기열에서 차례를 기다리는 중…": "Waiting in the queue…",
    "학습을 준비하는 중…": "Preparing to train…",
    "실행이 실패했습니다": "The run failed",
    "실행이 취소되었습니다": "The run was cancelled",
    "이유가 기록되지 않았습니다.": "No reason was recorded.",
    "요청에 따라 학습을 멈췄습니다.": "Training was stopped on request.",
    "취소를 요청했습니다…": "Cancel requested…",
    "실행 정보를 불러오지 못했습니다:": "Could not load the run:",
    "손실": "Loss",
    "정확도 (%)": "Accuracy (%)",
    "에포크": "Epoch",
    "장치": "Device",
    "PyTorch 버전": "PyTorch version",
    "매개변수": "Parameters",
    "정답 \\ 예측": "true \\ guess",
    "정답 {t}, 예측 {p}: {n}개": "true {t}, guessed {p}: {n}",
    "(정답 {n})": "(true {n})",
    "정답 {t}, 모델의 예측 {p}": "true {t}, the model guessed {p}",
    "틀린 숫자 {m}개를 먼저, 모두 {n}개를 보여 줍니다.": "{n} digits, the {m} mistakes first.",
    "학습된 모델을 불러오는 중…": "Loading the trained model…",
    "모델을 불러오지 못했습니다:": "Could not load the model:",
    "캔버스에 0~9 숫자 하나를 크게 그려 보세요.": "Draw one large digit, 0-9, on the pad.",
    "예측: {d} ({p})": "Guess: {d} ({p})",
    "기울기 노름": "gradient norm",
    "가중치 노름": "weight norm",
    "가중치 표준편차": "weight std",
    "가중치 평균": "weight mean",
    "활성값 평균": "activation mean",
    "활성값 표준편차": "activation std",
    "죽은 뉴런 비율": "dead units (fraction)",
    "함께 기록한 손실": "Losses recorded alongside",
    "기록된 진행 상황이 없습니다.": "No progress was recorded.",
    "층별 기울기 노름 (로그 눈금)": "Gradient norm per layer (log scale)",
    "층별 기울기 노름": "Gradient norm per layer",
    "시점": "When",
    "학습 후": "after training",
    "학습 전 (초기화 직후)": "before training (as initialised)",
    "비우면 자동": "empty: automatic",
    "학습": "train",
    "검증": "validation",
    "테스트": "test",
    "교차 엔트로피": "cross-entropy",
    "포화된 출력 비율": "saturated outputs (fraction)",
    "가중치 모양": "weight shape",
    "활성화": "activation",
    "종류": "kind",
    "층": "layer",
    "모드": "mode",
    "배치 크기": "batch size",
    "추론 모드별 정확도": "accuracy by inference mode",
    "학습률": "learning rate",
    "에폭당 스텝 수": "steps per epoch",
    "입력 값 범위": "input range",
    "검증 데이터 수": "validation examples",
    "처리량": "throughput",
    "초당 이미지": "images/s",
    "스텝당 ms": "ms per step",
    "초": "seconds",
    "스텝 수": "steps",
    "장치 이름": "device name",
    "데이터": "data",
    "GPU 사용 가능": "GPU available",
    "메모리": "memory",
    # question page panel
    "직접 실험해 보기": "Try it yourself",
    "이 질문의 답을 실제 MNIST 학습으로 확인할 수 있습니다.": (
        "See this answer happen in real MNIST training."
    ),
    "실험 실행하기": "Run the experiment",
}
