"""English for the auth feature's pages and error messages (Korean is the source text)."""

EN: dict[str, str] = {
    # Policy and errors (also the API's English `detail`)
    "사용자 이름은 {min}~{max}자여야 합니다.": "Username must be {min}-{max} characters long.",
    "사용자 이름에는 영문자, 숫자, 밑줄(_), 마침표(.), 하이픈(-)만 쓸 수 있습니다.": (
        "Username may contain only letters A-Z, digits, underscore (_), dot (.) and hyphen (-)."
    ),
    "'{username}'은(는) 이미 사용 중인 사용자 이름입니다. 다른 이름을 고르세요.": (
        "The username '{username}' is already taken; choose another one."
    ),
    "비밀번호는 {min}자 이상이어야 합니다.": "Password must be at least {min} characters long.",
    "비밀번호가 사용자 이름과 같으면 안 됩니다.": "Password must not be the same as the username.",
    "비밀번호가 한 글자의 반복이면 안 됩니다.": (
        "Password must not be a single character repeated."
    ),
    "너무 흔하거나 연속된 비밀번호입니다. 여러 단어를 섞어 더 길게 만드세요.": (
        "This password is too common or sequential; mix several words to make it longer."
    ),
    "새 비밀번호가 현재 비밀번호와 같습니다.": ("The new password is the same as the current one."),
    "사용자 이름 또는 비밀번호가 올바르지 않습니다.": "Wrong username or password.",
    "현재 비밀번호가 올바르지 않습니다.": "The current password is wrong.",
    "비밀번호가 올바르지 않아 계정을 삭제하지 않았습니다.": (
        "Wrong password: the account was not deleted."
    ),
    "비밀번호 확인 실패가 너무 많습니다. {minutes}분 뒤에 다시 시도하세요.": (
        "Too many failed password attempts. Try again in {minutes|minute|minutes}."
    ),
    "토큰 이름을 입력하세요 (최대 {max}자).": "Give the token a name (at most {max} characters).",
    "토큰이 너무 많습니다 (최대 {max}개). 쓰지 않는 토큰을 먼저 폐기하세요.": (
        "Too many tokens (at most {max}); revoke unused ones first."
    ),
    "토큰을 찾을 수 없습니다.": "No such token.",
    # Pages
    "회원가입": "Sign up",
    "로그인": "Log in",
    "로그아웃": "Log out",
    "계정": "Account",
    "사용자 이름": "Username",
    "비밀번호": "Password",
    "비밀번호 보기": "Show password",
    "계정 만들기": "Create account",
    "이미 계정이 있나요?": "Already have an account?",
    "계정이 없나요?": "No account yet?",
    "영문자, 숫자, _ . - 로 3~32자": "3-32 characters: letters, digits, _ . -",
    "10자 이상. 사용자 이름, 한 글자 반복, 흔한 비밀번호는 안 됩니다.": (
        "At least 10 characters; not your username, not one character repeated, not a common "
        "password."
    ),
    "{username}(으)로 로그인했습니다.": "Logged in as {username}.",
    "가입일": "Member since",
    "비밀번호 변경": "Change password",
    "현재 비밀번호": "Current password",
    "새 비밀번호": "New password",
    "비밀번호를 바꾸면 다른 브라우저의 로그인은 모두 끝납니다. API 토큰은 그대로 둡니다.": (
        "Changing the password logs out every other browser. API tokens keep working."
    ),
    "비밀번호를 바꿨습니다. 다른 브라우저의 로그인은 끝났습니다.": (
        "Password changed. Other browsers have been logged out."
    ),
    "API 토큰": "API tokens",
    "API 클라이언트는 Authorization: Bearer 헤더로 토큰을 보냅니다.": (
        "API clients send a token in the Authorization: Bearer header."
    ),
    "토큰 이름": "Token name",
    "토큰 만들기": "Create token",
    "새 토큰": "New token",
    "이 토큰은 지금 한 번만 보입니다. 안전한 곳에 복사해 두세요.": (
        "This token is shown only now. Copy it somewhere safe."
    ),
    "복사": "Copy",
    "복사했습니다": "Copied",
    "이름": "Name",
    "앞부분": "Prefix",
    "만든 날": "Created",
    "마지막 사용": "Last used",
    "사용 안 함": "Never",
    "폐기": "Revoke",
    "토큰을 폐기했습니다.": "Token revoked.",
    "아직 토큰이 없습니다.": "No tokens yet.",
    "계정 삭제": "Delete account",
    "계정과 모든 기록(복습, 메모, 북마크, 토큰)을 영구히 지웁니다. 되돌릴 수 없습니다.": (
        "Permanently deletes the account and all its data (reviews, notes, bookmarks, tokens). "
        "This cannot be undone."
    ),
    "확인을 위해 비밀번호를 입력하세요": "Enter your password to confirm",
    "계정을 영구히 삭제": "Delete my account permanently",
    "계정을 삭제했습니다": "Account deleted",
    "계정과 모든 기록을 지웠습니다.": "The account and all its data have been deleted.",
    "처음으로": "Home",
    "예: 노트북 CLI": "e.g. laptop CLI",
}
