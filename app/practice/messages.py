"""English for the practice feature's pages."""

EN: dict[str, str] = {
    "연습": "Practice",
    "연습 세션": "Practice session",
    "질문 묶음": "Pack",
    "복습할 카드": "Due",
    "새 질문": "New",
    "전체": "All",
    "북마크": "Bookmarks",
    "북마크하기": "Bookmark",
    "북마크됨": "Bookmarked",
    "답변 없는 질문": "Unanswered",
    "꼬리 질문 묶음": "Chain",
    "다시 보기": "Again",
    "면접 돌아보기": "Debrief",
    "질문마다 내 답변과 모범 답안을 비교해 보세요. 여기서 매기는 점수도 복습 일정에 반영됩니다.": (
        "Compare your answer with the model answer, question by question. "
        "Grades given here count in your review schedule too."
    ),
    "복습": "Review",
    "벼락치기": "Cram",
    "모의 면접": "Mock interview",
    "진행 중": "active",
    "완료": "Finished",
    "시간 초과": "out of time",
    "복습 시작": "Review due",
    "새 질문 배우기": "Learn new",
    "지금 복습할 카드가 없습니다. 새 질문을 배우거나 전체를 훑어보세요.": (
        "Nothing is due right now. Learn new questions or go through them all."
    ),
    "아직 질문 묶음이 없습니다. `mogi import`로 가져오면 여기서 연습할 수 있습니다.": (
        "No pack has been imported yet. Once `mogi import` has run, you can practise here."
    ),
    "세션 만들기": "Start a session",
    "범위": "Scope",
    "질문 묶음 전체, 순서대로": "the whole pack, in order",
    "복습할 때가 된 카드": "cards due for review",
    "한 번도 채점하지 않은 질문": "questions never graded",
    "북마크한 질문": "bookmarked questions",
    "모범 답안이 없는 질문": "entries without a model answer",
    "메인 질문 하나와 꼬리 질문들, 순서대로": "one main question and its follow-ups, in order",
    "질문 번호 (꼬리 질문 묶음, 모의 면접에서 선택)": (
        "Question number (for a chain; optional for a mock interview)"
    ),
    "모드": "Mode",
    "FSRS 간격 반복으로 채점을 일정에 반영": "grades schedule the card with FSRS",
    "일정은 건드리지 않고 채점만 기록": "grades are logged, the schedule is left alone",
    "무작위 메인 질문과 꼬리 질문을 제한 시간 안에": (
        "a random main question and its follow-ups, against a clock"
    ),
    "모의 면접 전체 제한 시간(분). 비우면 질문 수 × 2분": (
        "Mock interview: time for the whole interview (minutes). Empty: 2 minutes a question"
    ),
    "남은 시간(전체)": "Time left (whole interview)",
    "시작": "Start",
    "최근 세션": "Recent sessions",
    # Optimising the FSRS weights (app/practice/optimisation).
    "FSRS 가중치 최적화": "Optimise FSRS weights",
    "← FSRS 가중치 최적화": "← Optimise FSRS weights",
    (
        "FSRS가 복습 간격을 정할 때 쓰는 가중치 21개를 내 복습 기록에 맞춥니다. 작업은 워커에서 "
        "실행되며, 끝나면 지금 가중치와 새 가중치의 로그 손실(낮을수록 기억을 더 잘 예측)을 비교해 "
        "적용하거나 버릴 수 있습니다."
    ): (
        "Fits the 21 weights FSRS sets review intervals with to your own review history. A worker "
        "runs the fit; when it is done, compare the log loss (lower: it predicts your memory "
        "better) of the weights in use and of the fitted ones, then adopt or discard them."
    ),
    "지금 쓰는 가중치": "Weights in use",
    "기본 가중치 (FSRS 라이브러리)": "The default weights (of the fsrs library)",
    "내 복습 기록에 맞춘 가중치": "Weights fitted to your reviews",
    "기본 가중치로 돌아가기": "Back to the default weights",
    "내 복습 기록": "Your review history",
    (
        "채점 {reviews}개 · 카드 {cards}장 · 그중 카드의 이전 채점에서 하루 이상 지나 매긴 채점 "
        "{measured}개 (필요: {required}개 이상)"
    ): (
        "{reviews} grades · {cards} cards · {measured} of them a day or more after the card's "
        "previous grade (needed: at least {required})"
    ),
    (
        "복습 기록이 부족해 FSRS 가중치를 맞출 수 없습니다. 카드의 이전 채점에서 하루 이상 지나 "
        "매긴 채점이 512개 이상 있어야 합니다."
    ): (
        "Too few reviews to fit FSRS weights: it takes at least 512 grades given a day or more "
        "after the card's previous grade."
    ),
    "이미 대기 중이거나 실행 중인 최적화가 있습니다.": (
        "An optimisation is already queued or running."
    ),
    "작업 대기열이 가득 찼습니다. 잠시 후 다시 시도해 주세요.": (
        "The worker's queue is full; try again shortly."
    ),
    "끝난 최적화의 결과만 적용할 수 있습니다.": "Only a finished optimisation can be adopted.",
    "버린 결과는 적용할 수 없습니다. 최적화를 다시 실행하세요.": (
        "A discarded result cannot be adopted; run a new optimisation."
    ),
    "이미 적용한 결과입니다. 되돌리려면 기본 가중치로 돌아가세요.": (
        "This result is in use; to undo it, go back to the default weights."
    ),
    "최적화 시작": "Start the optimisation",
    "최근 최적화": "Recent optimisations",
    "실행 중": "Running",
    "적용함": "adopted",
    "버림": "discarded",
    "사용 중": "in use",
    "로그 손실": "Log loss",
    "채점 {reviews}개 · 카드 {cards}장 · 손실을 재는 채점 {measured}개": (
        "{reviews} grades · {cards} cards · the loss is measured on {measured} of them"
    ),
    "대기 중: 앞에 작업 {n}개": "Queued: {n} jobs ahead",
    "가중치를 맞추는 중: 에포크 {epoch}/{epochs}": "Fitting the weights: epoch {epoch} of {epochs}",
    "지금 가중치의 로그 손실을 재는 중": "Measuring the log loss of the weights in use",
    "새 가중치의 로그 손실을 재는 중": "Measuring the log loss of the fitted weights",
    "실행 중인 워커가 없습니다. `mogi worker`가 시작되면 이어서 실행됩니다.": (
        "No worker is running. Once `mogi worker` starts, it runs this."
    ),
    "이 페이지는 몇 초마다 새로 고쳐집니다.": "This page reloads itself every few seconds.",
    "취소하고 버리기": "Cancel and discard",
    "최적화가 실패했습니다.": "The optimisation failed.",
    "취소된 최적화입니다. 가중치는 바뀌지 않았습니다.": (
        "This optimisation was cancelled; your weights did not change."
    ),
    "사용한 채점": "Grades used",
    "로그 손실 (지금 가중치)": "Log loss (weights in use)",
    "로그 손실 (새 가중치)": "Log loss (fitted weights)",
    "걸린 시간": "Time taken",
    "{s}초": "{s} s",
    "새 가중치가 내 복습 기록을 더 잘 예측합니다 (로그 손실 {pct}% 감소).": (
        "The fitted weights predict your reviews better ({pct}% lower log loss)."
    ),
    "새 가중치가 지금 가중치보다 내 복습 기록을 더 잘 예측하지 못합니다. 버리기를 권합니다.": (
        "The fitted weights do not predict your reviews better than the ones in use; "
        "discarding them is advised."
    ),
    "적용": "Adopt",
    "버리기": "Discard",
    "이 가중치로 복습 일정을 정하고 있습니다.": "These weights now schedule your reviews.",
    "적용했지만 지금은 다른 가중치로 복습 일정을 정하고 있습니다.": (
        "Adopted, but other weights schedule your reviews now."
    ),
    "버린 결과입니다. 가중치는 바뀌지 않았습니다.": ("Discarded: your weights did not change."),
    "가중치 보기": "Show the weights",
    "지금 가중치": "In use",
    "새 가중치": "Fitted",
    "세션 중 키보드: Space 답 확인 · Space/Enter 좋음 · 1–4 채점 · U 되돌리기": (
        "Keyboard in a session: Space reveals · Space/Enter Good · 1–4 grade · U undoes"
    ),
    "Space 답 확인 · Space/Enter 좋음 · 1–4 채점 · U 되돌리기": (
        "Space reveals · Space/Enter Good · 1–4 grade · U undoes"
    ),
    "남은 시간": "Time left",
    "진행": "Progress",
    "내 답변 (선택, 저장됩니다)": "Your answer (optional, kept)",
    "떠오르는 대로 적어 보세요. 생각만 해도 됩니다.": (
        "Write what comes to mind, or just think it through."
    ),
    "입력 중에는 단축키가 꺼집니다. Esc로 입력란을 나오거나 Ctrl+Enter로 바로 확인하세요.": (
        "Shortcuts are off while you type: Esc leaves the box, Ctrl+Enter reveals."
    ),
    "답 확인": "Reveal",
    "모범 답안": "Model answer",
    "이 질문에는 모범 답안이 없어 내가 쓴 답을 보여 줍니다.": (
        "This entry has no model answer; showing your own."
    ),
    "이 질문에는 아직 답변이 없습니다. 질문 페이지에서 내 답변을 남길 수 있습니다.": (
        "This entry has no answer yet. You can write your own on the question page."
    ),
    "내 답변": "Your answer",
    "입력한 답변이 없습니다.": "You did not type an answer.",
    "핵심어": "Key terms",
    "{covered} / {total} 포함": "{covered} / {total} covered",
    "포함": "covered",
    "빠짐": "missed",
    "채점": "Grade",
    "다시": "Again",
    "어려움": "Hard",
    "좋음": "Good",
    "쉬움": "Easy",
    "시간이 다 되었습니다": "Time is up",
    "세션을 마쳤습니다": "Session complete",
    "{graded}개 카드를 채점했습니다.": "You graded {graded|card|cards}.",
    "진행 상황 보기": "See your progress",
    "새 세션": "New session",
    "마지막 채점 되돌리기": "Undo last grade",
    "로그인": "Log in",
    "하면 북마크, 메모, 내 답변을 남기고 이 질문을 연습할 수 있습니다.": (
        " to bookmark, take notes, write your own answer and practise this question."
    ),
    "꼬리 질문까지 연습하기 ({n}문항)": "Practise it with its follow-ups ({n|card|cards})",
    "이 질문 연습하기": "Practise this question",
    "다음 복습": "Next review",
    "내 메모": "My note",
    "나만 보는 메모 (비우고 저장하면 삭제)": "A private note (save it empty to delete)",
    "메모 저장": "Save note",
    "모범 답안이 없는 질문입니다. 직접 쓴 답(Markdown)을 연습 때 대신 보여 줍니다.": (
        "This entry has no model answer. Write your own (Markdown) and practice shows it instead."
    ),
    "내 답변 저장": "Save my answer",
    # Review settings and daily limits.
    "연습 설정": "Practice settings",
    "목표 기억률, 하루 한도, 학습 단계": "retention, daily limits, learning steps",
    "연습으로 돌아가기": "Back to practice",
    "설정을 저장했습니다.": "Settings saved.",
    "아래 표시한 값을 고쳐 주세요.": "Please correct the values marked below.",
    "복습 일정": "Review schedule",
    "목표 기억률 (%)": "Desired retention (%)",
    "카드가 다시 나올 때 기억하고 있을 확률, 70–99. 높을수록 더 자주 복습합니다.": (
        "The chance you still remember a card when it comes up, 70–99. "
        "Higher means more frequent reviews."
    ),
    "학습 단계": "Learning steps",
    "새 질문을 다시 보여 줄 간격. 예: 1m 10m (s 초, m 분, h 시간, d 일). "
    "비우면 처음부터 복습 카드가 됩니다.": (
        "When a new question comes back while you learn it, e.g. 1m 10m "
        "(s seconds, m minutes, h hours, d days). Empty: it goes straight to review."
    ),
    "재학습 단계": "Relearning steps",
    "잊어버린 카드를 다시 보여 줄 간격. 예: 10m": ("When a card you forgot comes back, e.g. 10m"),
    "FSRS 가중치: 내 복습 기록에 맞춘 값을 씁니다.": (
        "FSRS weights: fitted to your own review history."
    ),
    "FSRS 가중치: 기본값을 씁니다.": "FSRS weights: the defaults.",
    "하루 한도 (질문 묶음마다)": "Daily limits (per pack)",
    "하루 새 질문 수": "New cards per day",
    "0–9999. 0이면 새 질문을 내지 않습니다.": "0–9999. 0 means no new cards.",
    "하루 복습 수": "Reviews per day",
    "0–9999. 한도를 넘는 복습은 다음 날로 넘어갑니다.": (
        "0–9999. Reviews past the limit wait for the next day."
    ),
    "시간대": "Time zone",
    "하루와 한도는 이 시간대의 {hour}:00에 새로 시작합니다. 예: Asia/Seoul": (
        "The day and its limits start anew at {hour}:00 in this time zone, e.g. Asia/Seoul"
    ),
    "모의 면접 채점을 복습 일정에 반영": "Mock interview grades count in the review schedule",
    "끄면 모의 면접의 채점은 기록만 되고 카드 일정은 그대로입니다.": (
        "When off, mock interview grades are logged and the cards' schedule is left alone."
    ),
    "설정 저장": "Save settings",
    "{low}에서 {high} 사이의 숫자를 입력하세요.": "Enter a number from {low} to {high}.",
    "{low}에서 {high} 사이의 정수를 입력하세요.": "Enter a whole number from {low} to {high}.",
    "알 수 없는 시간대입니다: '{zone}'. Asia/Seoul, Europe/Berlin 같은 IANA 이름을 입력하세요.": (
        "Unknown time zone '{zone}'. Enter an IANA name such as Asia/Seoul or Europe/Berlin."
    ),
    "간격을 알아볼 수 없습니다: '{token}'. 예: 1m 10m, 1h, 1d": (
        "Cannot read the step '{token}'. Write steps like 1m 10m, 1h, 1d."
    ),
    "간격은 {most}개까지 입력할 수 있습니다.": "At most {most} steps.",
    "간격은 1초에서 {longest} 사이여야 합니다: '{step}'": (
        "Each step must be from 1 second to {longest}: '{step}'."
    ),
    "오늘 남은 한도: 새 질문 {new}개 · 복습 {reviews}개": (
        "Left today: {new} new · {reviews} reviews"
    ),
    "오늘의 새 질문 한도({n}개)에 도달했습니다. 내일 더 배울 수 있습니다.": (
        "Today's limit of {n} new cards is reached. You can learn more tomorrow."
    ),
    "오늘의 복습 한도({n}개) 때문에 {rest}개는 내일로 넘어갑니다.": (
        "Today's limit of {n} reviews holds {rest} back until tomorrow."
    ),
    "오늘 이 질문 묶음의 새 질문 한도({limit}개)를 다 채웠습니다.": (
        "Today's limit of {limit} new cards for this pack is reached."
    ),
    "오늘 이 질문 묶음의 복습 한도({limit}개)를 다 채웠습니다.": (
        "Today's limit of {limit} reviews for this pack is reached."
    ),
    "이 모의 면접의 채점은 복습 일정에 반영됩니다.": (
        "Grades in this mock interview count in your review schedule."
    ),
    "이 모의 면접의 채점은 기록만 되고 복습 일정에는 반영되지 않습니다.": (
        "Grades in this mock interview are logged but do not change your review schedule."
    ),
    "설정에서 바꾸기": "Change in settings",
    "질문마다 내 답변과 모범 답안을 비교해 보세요. 여기서 매기는 점수는 기록만 되고 "
    "복습 일정에는 반영되지 않습니다.": (
        "Compare your answer with the model answer, question by question. "
        "Grades given here are logged but do not change your review schedule."
    ),
    "카드 관리": "Card actions",
    "채점하지 않고 다음 카드로 (일정은 그대로)": (
        "On to the next card without a grade (schedule unchanged)"
    ),
    "건너뛰기": "Skip",
    "내일(오전 4시)까지 숨기기": "Hide until tomorrow (4 a.m.)",
    "오늘은 그만 보기": "Bury",
    "다시 켤 때까지 어떤 세션에도 나오지 않습니다": (
        "Left out of every session until you unsuspend it"
    ),
    "보류": "Suspend",
    "보류 해제": "Unsuspend",
    "보류됨": "Suspended",
    "깃발": "Flag",
    "깃발 해제": "Unflag",
    "깃발 단 질문": "flagged questions",
    "깃발 단 카드": "Flagged",
    "오늘은 숨김": "Buried for today",
    "다시 보이기": "Unbury",
    "메모는 {limit:,}자까지 저장할 수 있습니다. 지금 {length:,}자입니다.": (
        "A note can hold at most {limit:,} characters; this one has {length:,}."
    ),
    "메모를 저장했습니다.": "Note saved.",
    "다음 할 일": "What's next",
    "오늘 더 복습할 카드: {n}개": "Due later today: {n}",
    "다음 카드: {when}": "next card: {when}",
    "내일 복습할 카드: {n}개": "Due tomorrow: {n}",
    "지금 복습하기 ({n})": "Review now ({n})",
    "새 질문 배우기 ({n})": "Learn new ({n})",
    "오늘은 더 할 것이 없습니다.": "Nothing left for today.",
    "{n}개는 채점하지 않고 넘겼습니다.": "{n} passed over without a grade.",
    "S 건너뛰기 · - 오늘은 그만 · @ 보류 · F 깃발": "S skip · - bury · @ suspend · F flag",
    "질문으로 돌아가기": "Back to the question",
}
