"""English for the shared layout and error pages."""

EN = {
    "모의 면접": "Mock interview",
    "홈": "Home",
    "질문": "Questions",
    "검색": "Search",
    "연습": "Practice",
    "진행 상황": "Progress",
    "데모": "Demos",
    "로그인": "Log in",
    "로그아웃": "Log out",
    "로그아웃했습니다.": "You are logged out.",
    "회원가입": "Sign up",
    "계정": "Account",
    "언어": "Language",
    "본문으로 건너뛰기": "Skip to content",
    "오류": "Error",
    "홈으로": "Back home",
    "요청을 처리할 수 없습니다.": "The request could not be handled.",
    "페이지를 찾을 수 없습니다.": "Page not found.",
    "딥러닝 면접 질문 연습": "Practise deep-learning interview questions",
}
