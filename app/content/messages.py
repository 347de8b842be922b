"""English for the content feature's pages."""

EN: dict[str, str] = {
    "모의 면접으로 딥러닝 면접을 준비하세요": (
        "Prepare for deep-learning interviews with mock questions"
    ),
    "메인 질문과 꼬리 질문, 답변, 수식과 참고 자료를 한곳에서 읽고 검색하세요.": (
        "Read and search main questions, their follow-ups, answers, formulas and references "
        "in one place."
    ),
    "질문과 답변 검색": "Search questions and answers",
    "기술 면접 질문 연습": "Technical interview practice",
    "모의 면접으로 딥러닝·AI 기술 면접을 준비하세요": (
        "Prepare for deep-learning and AI engineering interviews with mock questions"
    ),
    "분야별 질문": "Questions by category",
    "분야": "Categories",
    "{k}개 분야 · 질문 {n}개 · 답변 {a}개": (
        "{k|category|categories} · {n|question|questions} · {a} answered"
    ),
    "예: 배치 정규화, ReLU, 과적합": "e.g. batch normalization, ReLU, overfitting",
    "질문 팩": "Question packs",
    "질문 {n}개 · 답변 {a}개": "{n|question|questions} · {a} answered",
    "출처": "Source",
    "전체 질문 보기": "Browse all questions",
    "아직 가져온 질문 팩이 없습니다.": "No question pack has been imported yet.",
    "질문 목록": "Questions",
    "위치": "Breadcrumb",
    "답변 없음": "No answer",
    "꼬리 질문": "Follow-up",
    "이어지는 꼬리 질문": "Follow-up questions",
    "메인 질문": "Main question",
    "모든 팩": "All packs",
    "찾을 낱말을 입력하세요. 질문 제목, 답변, 참고 자료에서 찾습니다.": (
        "Type words to find. Titles, answers and references are searched."
    ),
    "'{q}'에 대한 결과가 없습니다.": "No results for '{q}'.",
    "다른 낱말로 찾거나 전체 질문 목록을 둘러보세요.": (
        "Try other words, or browse the full list of questions."
    ),
    "{n}개의 질문": "{n|question|questions}",
    "검색 결과 페이지": "Search result pages",
    "이전": "Previous",
    "다음": "Next",
    "이 질문은 최신 팩에서 빠졌습니다. 기록을 위해 남겨 둡니다.": (
        "This question is no longer in the latest version of its pack; it is kept for your records."
    ),
    "답변": "Answer",
    "이 질문에는 아직 답변이 없습니다. 스스로 답을 정리해 보세요.": (
        "This question has no answer yet. Try writing your own."
    ),
    "원문에 남은 메모": "Note left in the source",
    "참고 자료": "References",
    "참고 자료가 없습니다.": "No references.",
    "이전 질문과 다음 질문": "Previous and next question",
}
