"""English for the progress pages (Korean is the source text)."""

EN: dict[str, str] = {
    # summary
    "요약": "Summary",
    "지금 복습할 카드": "Due now",
    "오늘까지": "Due today",
    "7일 안에": "Next 7 days",
    "본 질문": "Questions seen",
    "총 복습": "Total reviews",
    "연속 학습": "Streak",
    "{n}일": "{n} d",
    "최장 {n}일": "longest {n} d",
    "유지율 (30일)": "Retention (30 days)",
    "복습하러 가기": "Review now",
    "오늘 복습하면 연속 학습이 이어집니다.": "Review today to keep your streak.",
    "아직 복습 기록이 없습니다": "No reviews yet",
    "질문 몇 개를 연습하면 여기에 달력, 연속 학습일, 숙련도가 나타납니다.": (
        "Practise a few questions and your calendar, streak and mastery appear here."
    ),
    "연습 시작하기": "Start practising",
    # calendar and charts
    "복습 달력": "Review calendar",
    "지난 1년 동안 {days}일, 모두 {n}회 복습했습니다.": (
        "In the past year you reviewed on {days|day|days}, {n|review|reviews} in all."
    ),
    "연속 학습 {current}일, 최장 {longest}일.": "Current streak {current} d, longest {longest} d.",
    "최근 14일을 표로 보기": "Show the last 14 days as a table",
    "날짜": "Date",
    "복습 수": "Reviews",
    "일별 복습": "Reviews per day",
    "최근 90일 동안의 일별 복습 수 막대 그래프": "Bar chart of reviews per day, last 90 days",
    "최근 90일 동안의 일별 복습 수. 최근 14일의 숫자는 위의 표에 있습니다.": (
        "Reviews per day over the last 90 days. The last 14 days are in the table above."
    ),
    "유지율": "Retention",
    "복습 단계의 카드에 '다시'가 아닌 답을 한 비율입니다.": (
        "The share of grades of cards in review that were not 'Again'."
    ),
    "최근 30일 {pct} ({n}회), 전체 {all} ({total}회).": (
        "Last 30 days {pct} ({n|review|reviews}), all time {all} ({total|review|reviews})."
    ),
    "최근 26주 동안의 주별 유지율 그래프": "Line chart of weekly retention, last 26 weeks",
    "주별 유지율 (목표 90%)": "Weekly retention (target 90%)",
    "적음": "Less",
    "많음": "More",
    "복습 없음": "no reviews",
    "{n}회": "{n|review|reviews}",
    "주": "Week",
    "1월": "Jan",
    "2월": "Feb",
    "3월": "Mar",
    "4월": "Apr",
    "5월": "May",
    "6월": "Jun",
    "7월": "Jul",
    "8월": "Aug",
    "9월": "Sep",
    "10월": "Oct",
    "11월": "Nov",
    "12월": "Dec",
    # mastery
    "팩별 숙련도": "Mastery by pack",
    "숙련도는 지금 떠올릴 확률(FSRS)의 평균이며, 아직 보지 않은 질문은 0으로 셉니다.": (
        "Mastery is the mean probability of recalling each question now (FSRS); questions not "
        "seen yet count as 0."
    ),
    "새 질문 {new} · 학습 중 {learning} · 복습 {review} · 재학습 {relearning}": (
        "new {new} · learning {learning} · review {review} · relearning {relearning}"
    ),
    "약한 질문": "Weakest questions",
    "기억 확률 {pct}": "recall {pct}",
    "잊은 횟수 {n}": "lapses {n}",
    "기록": "History",
    "본 질문 모두 보기 ({n})": "All questions seen ({n})",
    "기억 확률": "Recall now",
    "안정성(일)": "Stability (days)",
    "난이도": "Difficulty",
    "다음 복습": "Next review",
    "마지막 평가": "Last grade",
    # grades, modes, states
    "다시": "Again",
    "어려움": "Hard",
    "좋음": "Good",
    "쉬움": "Easy",
    "벼락치기": "Cram",
    "일반 복습": "Review",
    "복습 단계": "Review",
    "학습 중": "Learning",
    "재학습": "Relearning",
    # question history
    "복습 기록": "Review history",
    "카드 상태": "Card state",
    "복습 / 잊은 횟수": "Reviews / lapses",
    "이 질문의 복습 기록이 없습니다.": "You have not reviewed this question yet.",
    "연습하기": "Practise",
    "다시 연습하기": "Practise again",
    "평가할 때마다 정해진 다음 복습까지의 간격(일) 그래프. 값은 아래 표에 있습니다.": (
        "Chart of the interval (days) each grade set; the values are in the table below."
    ),
    "평가마다 정해진 다음 복습 간격(일)": "Interval (days) set by each grade",
    "평가 기록": "Grades",
    "시각": "Time",
    "평가": "Grade",
    "방식": "Mode",
    "간격(일)": "Interval (days)",
    "걸린 시간": "Time taken",
    "{s}초": "{s} s",
    "일정 변화 없음": "schedule unchanged",
    "내가 쓴 답": "My typed answer",
    "이 질문의 내 복습 기록": "My review history of this question",
    # your data
    "내 데이터": "Your data",
    "복습 기록, 카드, 노트, 북마크, 내 답변을 모두 내려받아 다른 Mogi 서버로 옮길 수 있습니다.": (
        "Download all your reviews, cards, notes, bookmarks and own answers, and move them to "
        "another Mogi server."
    ),
    "내보내기 (JSON)": "Export (JSON)",
    "복습 기록 (CSV)": "Reviews (CSV)",
    "내보낸 파일 가져오기 (JSON)": "Import an export (JSON)",
    "이 서버에 없는 질문은 건너뛰기": "Skip questions this server does not have",
    "최대 {n} MiB. 같은 파일을 두 번 가져와도 기록이 중복되지 않습니다.": (
        "Up to {n} MiB. Importing the same file twice adds nothing twice."
    ),
    "가져오기": "Import",
    "가져오기 결과": "Import result",
    "{user}님의 내보내기를 가져왔습니다.": "Imported the export of {user}.",
    "추가": "Added",
    "갱신": "Updated",
    "이미 있음": "Already there",
    "카드": "Cards",
    "노트": "Notes",
    "북마크": "Bookmarks",
    "직접 쓴 답안": "Own answers",
    "연습 세션 기록": "Practice sessions",
    "건너뛴 질문": "Skipped questions",
    "이 서버에 없는 질문 {n}개의 기록은 가져오지 않았습니다. 해당 팩을 가져온 뒤 같은 파일을 다시 "
    "가져오면 됩니다.": (
        "The records of {n|question|questions} this server does not have were left out. "
        "Import their packs, then import the same file again."
    ),
    "진행 상황으로": "Back to progress",
    "가져오지 못했습니다. 아무것도 바뀌지 않았습니다.": "The import failed; nothing was changed.",
    "이 서버에 없는 질문:": "Questions this server does not have:",
    "해당 팩을 가져오거나, '이 서버에 없는 질문은 건너뛰기'를 선택해 다시 가져오세요.": (
        "Import their packs, or tick 'Skip questions this server does not have' and try again."
    ),
    "다시 시도": "Try again",
}

# The home page: a visitor's introduction, a user's dashboard (templates/content/_home_*.html).
EN.update(
    {
        "Mogi는 딥러닝 기술 면접 질문을 연습하는 곳입니다. 답을 떠올린 뒤 모범 답안과 비교해 "
        "채점하면, FSRS 간격 반복이 다음 복습 날짜를 정합니다.": (
            "Mogi is where you practise deep-learning interview questions. Recall your answer, "
            "compare it with the model answer and grade yourself: FSRS spaced repetition decides "
            "when you see the question again."
        ),
        "간격 반복으로 연습": "Practise with spaced repetition",
        "메인 질문과 꼬리 질문을 세션으로 풀고, 잊을 때쯤 다시 만나도록 FSRS가 일정을 잡습니다. "
        "모의 면접 모드는 제한 시간 안에 답합니다.": (
            "Work through main questions and their follow-ups in sessions; FSRS schedules each "
            "one for just before you would forget it. Mock interviews add a time limit."
        ),
        "질문 옆의 MNIST 데모": "MNIST demos next to the questions",
        "드롭아웃, 배치 정규화, 학습률 같은 질문 옆에서 작은 신경망을 직접 학습시켜 곡선을 보고, "
        "숫자를 그려 예측해 보세요.": (
            "Next to questions on dropout, batch normalisation or learning rates, train a small "
            "network yourself, watch its curves, and draw a digit for it to read."
        ),
        "라이브러리와 검색": "The library and search",
        "질문, 답변, 수식과 참고 자료를 한국어 형태소와 용어 사전으로 검색합니다.": (
            "Search questions, answers, formulas and references, with Korean morphology and a "
            "glossary of terms."
        ),
        "가입하고 연습 시작": "Sign up and start practising",
        "오늘의 연습": "Today's practice",
        "일 연속 복습": "days in a row",
        "오늘 채점하면 이어집니다": "grade a card today to keep it going",
        "이어서 하기": "Continue",
        "세션 #{id} · {g} / {t}문항 채점": "Session #{id} · {g} of {t} graded",
        "아직 채점한 카드가 없습니다. 아래에서 '새 질문 배우기'로 시작하세요.": (
            "You have not graded a card yet. Start below with 'Learn new'."
        ),
        "연습 설정과 세션": "Practice sessions",
        "저장": "saved",
    }
)
