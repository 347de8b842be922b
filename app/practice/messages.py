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
    "질문으로 돌아가기": "Back to the question",
}
