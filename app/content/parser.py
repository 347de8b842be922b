"""Parser of the Q&A pack format: `## #N` / `## #N-M` entries with a `####` question heading,
an answer and an optional `#### References` list. Text before the first entry (the table of
contents) is not content.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field

from markdown_it import MarkdownIt

ENTRY_HEADING = re.compile(r"^##\s+#(?P<number>\d+(?:-\d+)*)\s*$")
ENTRY_LIKE = re.compile(r"^##\s+#")
# The question is a `####` heading (older files) or a `###` one (newer ones).
TITLE_HEADING = re.compile(r"^#{3,4}\s+(?P<title>.*?)\s*#*\s*$")
REFERENCES_HEADING = re.compile(r"^#{3,4}\s+references\s*:?\s*$", re.IGNORECASE)
FENCE = re.compile(r"^(?P<indent> {0,3}|\s*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
COMMENT_START = re.compile(r"^ {0,3}<!--")
SEPARATOR = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,})\s*$")
LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(?P<text>.*)$")
INLINE_CODE = re.compile(r"(?<!`)(`+)(?!`)(?P<code>.+?)(?<!`)\1(?!`)")
# An "answer" that is only a short question back to the reader ("무슨말일까요...") is a note,
# not an answer: the page says there is no answer yet and still shows the note.
PLACEHOLDER_ANSWER = re.compile(r"^[^\n<>`*\[\]!|#]{0,40}(?:\?|\.{3}|…)\s*$")

_inline_md = MarkdownIt("commonmark")


class PackFormatError(ValueError):
    """A pack that does not follow the format; `line` is 1-based."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


@dataclass(frozen=True)
class ParsedReference:
    title: str
    url: str


@dataclass
class ParsedEntry:
    number: str
    parent_number: str | None
    title: str
    answer_markdown: str
    has_answer: bool
    line: int
    references: list[ParsedReference] = field(default_factory=list)


@dataclass
class ParsedPack:
    entries: list[ParsedEntry]

    def by_number(self) -> dict[str, ParsedEntry]:
        return {e.number: e for e in self.entries}


def parse_pack(text: str) -> ParsedPack:
    """Parse a whole pack; raises PackFormatError naming the first offending line."""
    # NUL becomes U+FFFD, as CommonMark says (and PostgreSQL text cannot hold it).
    text = text.replace("\x00", "\ufffd")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").removeprefix("\ufeff").split("\n")
    hidden = hidden_lines(lines)
    starts = _entry_starts(lines, hidden)
    if not starts:
        raise PackFormatError(1, "no entries found: a pack needs '## #1'-style entry headings")
    entries: list[ParsedEntry] = []
    seen: dict[str, int] = {}
    for i, (start, match) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(lines)
        entry = _parse_entry(lines, hidden, start, end, match)
        if entry.number in seen:
            raise PackFormatError(
                start + 1, f"entry #{entry.number} repeats the one at line {seen[entry.number]}"
            )
        entry.parent_number = parent_of(entry.number, seen)
        seen[entry.number] = start + 1
        entries.append(entry)
    return ParsedPack(entries)


def parent_of(number: str, earlier: Collection[str]) -> str | None:
    """The nearest earlier entry whose number is a prefix of number's: #6-2 for #6-2-1.

    A follow-up whose main question is missing (`## #2-1` with no `## #2`, as upstream files
    have) hangs under the nearest ancestor there is, or stands alone at the top.
    """
    parts = number.split("-")
    for cut in range(len(parts) - 1, 0, -1):
        candidate = "-".join(parts[:cut])
        if candidate in earlier:
            return candidate
    return None


def hidden_lines(lines: list[str]) -> list[bool]:
    """Which lines are inside fenced code or an HTML comment block: no structure there.

    As CommonMark renders it, a fence closes at its closing fence or at the end of its
    container (a fence indented in a list item closes at the first line indented less). A fence
    never closed at all would swallow every later entry, so it closes at the next entry
    heading instead: an entry never disappears silently.
    """
    closers = _closer_suffix(lines)
    hidden = [False] * len(lines)
    i = 0
    while i < len(lines):
        line = lines[i]
        fence = FENCE.match(line)
        if fence and not (fence["fence"][0] == "`" and "`" in fence["info"]):
            i = _skip_fence(lines, hidden, i, fence, closers)
            continue
        if COMMENT_START.match(line) and "-->" not in line.split("<!--", 1)[1]:
            j = i + 1
            while j < len(lines) and "-->" not in lines[j]:
                if ENTRY_HEADING.match(lines[j]) and not any("-->" in x for x in lines[j:]):
                    break
                j += 1
            for k in range(i, min(j + 1, len(lines))):
                hidden[k] = k < j or "-->" in lines[k]
            i = j + 1 if j < len(lines) and "-->" in lines[j] else j
            continue
        i += 1
    return hidden


def _closer_suffix(lines: list[str]) -> dict[str, list[int]]:
    """For ` and ~: the longest closing-fence run at or after each line (0: none)."""
    out = {"`": [0] * (len(lines) + 1), "~": [0] * (len(lines) + 1)}
    for i in range(len(lines) - 1, -1, -1):
        for char in out:
            out[char][i] = out[char][i + 1]
        stripped = lines[i].strip()
        if stripped and stripped[0] in out and not stripped.strip(stripped[0]):
            out[stripped[0]][i] = max(out[stripped[0]][i], len(stripped))
    return out


def _skip_fence(
    lines: list[str],
    hidden: list[bool],
    i: int,
    fence: re.Match[str],
    closers: dict[str, list[int]],
) -> int:
    """Mark the fenced block opened at line i hidden; returns the first line after it."""
    char, size, indent = fence["fence"][0], len(fence["fence"]), len(fence["indent"])
    hidden[i] = True
    j = i + 1
    while j < len(lines):
        line = lines[j]
        stripped = line.strip()
        if stripped and stripped[0] == char and len(stripped) >= size and not stripped.strip(char):
            hidden[j] = True
            return j + 1
        if indent and stripped and len(line) - len(line.lstrip()) < indent:
            return j  # the list item holding the fence ended, and the fence with it
        if ENTRY_HEADING.match(line) and closers[char][j] < size:
            return j  # never closed: it ends with its entry
        hidden[j] = True
        j += 1
    return j


def _entry_starts(lines: list[str], hidden: list[bool]) -> list[tuple[int, re.Match[str]]]:
    """Indexes of the entry headings outside code and comments."""
    starts: list[tuple[int, re.Match[str]]] = []
    for i, line in enumerate(lines):
        if hidden[i]:
            continue
        match = ENTRY_HEADING.match(line)
        if match:
            starts.append((i, match))
        elif ENTRY_LIKE.match(line):
            raise PackFormatError(
                i + 1,
                f"malformed entry heading {line.strip()!r}: expected '## #N', '## #N-M', "
                "'## #N-M-K'...",
            )
    return starts


def _parse_entry(
    lines: list[str], hidden: list[bool], start: int, end: int, match: re.Match[str]
) -> ParsedEntry:
    number = "-".join(str(int(part)) for part in match["number"].split("-"))
    title_at = _next_nonblank(lines, start + 1, end)
    title_match = (
        TITLE_HEADING.match(lines[title_at]) if title_at < end and not hidden[title_at] else None
    )
    if title_match is None or REFERENCES_HEADING.match(lines[title_at]):
        raise PackFormatError(
            (title_at if title_at < end else start) + 1,
            f"entry #{number} needs its question as a '#### ' (or '### ') heading right after "
            f"'## #{number}'",
        )
    title = plain_title(title_match["title"])
    if not title:
        raise PackFormatError(title_at + 1, f"entry #{number} has an empty question heading")
    refs_at = _references_heading(lines, hidden, title_at + 1, end)
    answer_lines = lines[title_at + 1 : refs_at if refs_at is not None else end]
    answer = _trim_block(answer_lines)
    references = _parse_references(lines, refs_at + 1, end) if refs_at is not None else []
    return ParsedEntry(
        number=number,
        parent_number=None,
        title=title,
        answer_markdown=answer,
        has_answer=bool(answer) and not PLACEHOLDER_ANSWER.match(answer),
        line=start + 1,
        references=references,
    )


def plain_title(raw: str) -> str:
    """A question heading as text: inline code loses its backticks, as GitHub shows it."""
    return INLINE_CODE.sub(lambda m: m["code"].strip() or m[0], raw.strip()).strip()


def _next_nonblank(lines: list[str], i: int, end: int) -> int:
    while i < end and not lines[i].strip():
        i += 1
    return i


def _references_heading(lines: list[str], hidden: list[bool], begin: int, end: int) -> int | None:
    """The last `#### References` heading of the entry outside code, if any."""
    found = None
    for i in range(begin, end):
        if not hidden[i] and REFERENCES_HEADING.match(lines[i]):
            found = i
    return found


def _trim_block(lines: list[str]) -> str:
    """Drop blank lines and the `---` entry separators around a block."""
    items = list(lines)
    while items and (not items[-1].strip() or SEPARATOR.match(items[-1])):
        items.pop()
    while items and not items[0].strip():
        items.pop(0)
    return "\n".join(line.rstrip() for line in items).strip("\n")


def _parse_references(lines: list[str], begin: int, end: int) -> list[ParsedReference]:
    """One reference per list item; a line that is not an item continues the one before it
    when that item's link text or URL is still open (link text wrapped onto two lines)."""
    items: list[str] = []
    for line in lines[begin:end]:
        if not line.strip() or SEPARATOR.match(line):
            continue
        item = LIST_ITEM.match(line)
        if item is None and items and _still_open(items[-1]):
            items[-1] += " " + line.strip()
        else:
            items.append(item["text"] if item else line.strip())
    return [_reference(text) for text in items]


def _still_open(text: str) -> bool:
    return text.count("[") > text.count("]") or text.count("(") > text.count(")")


def _reference(text: str) -> ParsedReference:
    """Title and URL of one reference item; an item without a link keeps its text as title."""
    tokens = _inline_md.parseInline(text.strip())
    children = tokens[0].children if tokens and tokens[0].children else []
    for k, token in enumerate(children):
        if token.type != "link_open":
            continue
        href = str(token.attrGet("href") or "").strip()
        parts = []
        for inner in children[k + 1 :]:
            if inner.type == "link_close":
                break
            parts.append(inner.content)
        return ParsedReference(title="".join(parts).strip() or href, url=href)
    return ParsedReference(title=text.strip(), url="")
