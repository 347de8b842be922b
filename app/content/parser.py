"""Parser of the Q&A pack format: `## #N` / `## #N-M` entries with a `####` question heading,
an answer and an optional `#### References` list. Text before the first entry (the table of
contents) is not content.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from markdown_it import MarkdownIt

ENTRY_HEADING = re.compile(r"^##\s+#(?P<main>\d+)(?:-(?P<sub>\d+))?\s*$")
ENTRY_LIKE = re.compile(r"^##\s+#")
TITLE_HEADING = re.compile(r"^####\s+(?P<title>.*?)\s*#*\s*$")
REFERENCES_HEADING = re.compile(r"^####\s+references\s*:?\s*$", re.IGNORECASE)
FENCE = re.compile(r"^\s*(?P<fence>`{3,}|~{3,})")
SEPARATOR = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,})\s*$")
LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(?P<text>.*)$")
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
    lines = text.replace("\r\n", "\n").replace("\r", "\n").removeprefix("\ufeff").split("\n")
    starts = _entry_starts(lines)
    if not starts:
        raise PackFormatError(1, "no entries found: a pack needs '## #1'-style entry headings")
    entries: list[ParsedEntry] = []
    seen: dict[str, int] = {}
    for i, (start, match) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(lines)
        entry = _parse_entry(lines, start, end, match)
        if entry.number in seen:
            raise PackFormatError(
                start + 1, f"entry #{entry.number} repeats the one at line {seen[entry.number]}"
            )
        if entry.parent_number is not None and entry.parent_number not in seen:
            raise PackFormatError(
                start + 1,
                f"follow-up #{entry.number} comes before (or without) its main question "
                f"#{entry.parent_number}",
            )
        seen[entry.number] = start + 1
        entries.append(entry)
    return ParsedPack(entries)


def _entry_starts(lines: list[str]) -> list[tuple[int, re.Match[str]]]:
    """Indexes of the entry headings, skipping fenced code; checks fences are closed."""
    starts: list[tuple[int, re.Match[str]]] = []
    fence: str | None = None
    fence_line = 0
    for i, line in enumerate(lines):
        fence_match = FENCE.match(line)
        if fence is not None:
            if (
                fence_match
                and fence_match["fence"][0] == fence[0]
                and len(fence_match["fence"]) >= len(fence)
                and not line.strip().lstrip(fence[0])
            ):
                fence = None
            continue
        if fence_match:
            fence, fence_line = fence_match["fence"], i + 1
            continue
        match = ENTRY_HEADING.match(line)
        if match:
            starts.append((i, match))
        elif ENTRY_LIKE.match(line):
            raise PackFormatError(
                i + 1, f"malformed entry heading {line.strip()!r}: expected '## #N' or '## #N-M'"
            )
    if fence is not None:
        raise PackFormatError(fence_line, f"code block opened with {fence!r} is never closed")
    return starts


def _parse_entry(lines: list[str], start: int, end: int, match: re.Match[str]) -> ParsedEntry:
    main, sub = match["main"], match["sub"]
    number = f"{int(main)}-{int(sub)}" if sub is not None else str(int(main))
    title_at = _next_nonblank(lines, start + 1, end)
    title_match = TITLE_HEADING.match(lines[title_at]) if title_at < end else None
    if title_match is None or REFERENCES_HEADING.match(lines[title_at]):
        raise PackFormatError(
            (title_at if title_at < end else start) + 1,
            f"entry #{number} needs its question as a '#### ' heading right after '## #{number}'",
        )
    title = title_match["title"].strip()
    if not title:
        raise PackFormatError(title_at + 1, f"entry #{number} has an empty question heading")
    refs_at = _references_heading(lines, title_at + 1, end)
    answer_lines = lines[title_at + 1 : refs_at if refs_at is not None else end]
    answer = _trim_block(answer_lines)
    references = _parse_references(lines, refs_at + 1, end) if refs_at is not None else []
    return ParsedEntry(
        number=number,
        parent_number=str(int(main)) if sub is not None else None,
        title=title,
        answer_markdown=answer,
        has_answer=bool(answer) and not PLACEHOLDER_ANSWER.match(answer),
        line=start + 1,
        references=references,
    )


def _next_nonblank(lines: list[str], i: int, end: int) -> int:
    while i < end and not lines[i].strip():
        i += 1
    return i


def _references_heading(lines: list[str], begin: int, end: int) -> int | None:
    """The last `#### References` heading of the entry outside code, if any."""
    found = None
    fence: str | None = None
    for i in range(begin, end):
        fence_match = FENCE.match(lines[i])
        if fence_match:
            fence = (
                None
                if fence and fence_match["fence"][0] == fence[0]
                else (fence or fence_match["fence"])
            )
            continue
        if fence is None and REFERENCES_HEADING.match(lines[i]):
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
    refs: list[ParsedReference] = []
    for line in lines[begin:end]:
        if not line.strip() or SEPARATOR.match(line):
            continue
        item = LIST_ITEM.match(line)
        refs.append(_reference(item["text"] if item else line.strip()))
    return refs


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
