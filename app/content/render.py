"""Markdown of an answer -> safe HTML, once, at import time.

Math becomes MathML (app.content.mathml), links and images of the pack's source repository are
resolved against its pinned commit, and the result is sanitised with an allow-list, whatever the
pack holds.
"""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

import nh3
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.footnote import footnote_plugin

from app.content.mathml import (
    MATHML_ATTRS,
    MATHML_TAGS,
    extract_math,
    render_block_math,
    render_inline_math,
    restore_math,
)

# Part of every pack's content hash: bump it when the output of this module changes, so that
# `mogi import` renders unchanged packs again.
RENDER_VERSION = "6"

GITHUB = "https://github.com"
ASSET_PREFIX = "/packs/"
_ALIGN_STYLE = re.compile(r'<(t[hd])\s+style="text-align:\s*(left|center|right)"')
_FILE_NAME = re.compile(r"^[\w.\- ]+\.(?:png|jpe?g|gif|svg|webp|bmp)$", re.I)
_IMG_TAG = re.compile(r"<img\b(?P<attrs>[^>]*)>", re.I)
_ATTR = re.compile(
    r"""(?P<name>[^\s"'>/=]+)(?:\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^\s"'=<>`]+)))?"""
)
_FOOTNOTE_ID = re.compile(r"^fn(?:ref)?\d+(?::\d+)?$")
_ENTRY_FRAGMENT = re.compile(r"^#(\d+(?:-\d+)*)$")
_GITHUB_FILE = re.compile(r"^https?://github\.com/([^/]+/[^/]+)/(?:blob|raw|tree)/[^/]+/(.+)$")
_RAW_FILE = re.compile(r"^https?://raw\.githubusercontent\.com/([^/]+/[^/]+)/[^/]+/(.+)$")
_OUTSIDE_RENDERERS = ("render.githubusercontent.com", "latex.codecogs.com", "chart.googleapis.com")
_CODE_LANGUAGES = {
    "python",
    "py",
    "bash",
    "sh",
    "shell",
    "console",
    "text",
    "json",
    "yaml",
    "sql",
    "c",
    "cpp",
    "java",
    "javascript",
    "js",
    "typescript",
    "r",
    "latex",
    "tex",
    "math",
    "html",
    "css",
    "go",
    "rust",
    "toml",
    "ini",
    "diff",
}
_HTML_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "code",
    "dd",
    "del",
    "details",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "samp",
    "section",
    "small",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title", "id"},
    "sup": {"id"},
    "img": {"src", "alt", "title", "width", "height", "loading", "decoding"},
    "div": {"align"},
    "p": {"align"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan"},
    "ol": {"start"},
    "li": {"value", "id"},
    "abbr": {"title"},
    **{tag: set(MATHML_ATTRS) for tag in MATHML_TAGS},
}
_CLASSES = {
    "code": {f"language-{lang}" for lang in _CODE_LANGUAGES},
    "span": {"img-placeholder", "math-error", "math-inline"},
    "div": {"math-block"},
    "a": {"footnote-ref", "footnote-backref"},
    "section": {"footnotes"},
    "hr": {"footnotes-sep"},
    "li": {"footnote-item"},
}


@dataclass(frozen=True)
class RenderContext:
    """What rendering needs to know about the pack: its slug and where it came from."""

    pack_slug: str
    source_repository: str = ""
    source_commit: str = ""
    source_path: str = ""
    remote_image_base: str = ""
    # The pack's figures shipped with it (repository path -> URL on our origin), and the other
    # packs of the library by the repository paths they are known under (path -> slug).
    assets: Mapping[str, str] = field(default_factory=dict)
    pack_paths: Mapping[str, str] = field(default_factory=dict)


def _make_markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.use(footnote_plugin)
    # `$$...$$` on its own lines is a display formula; `$$x$$` and `$x$` in a sentence are
    # inline, as GitHub shows them. `$5 and $10` stays text (no digits right after a `$`).
    md.use(
        dollarmath_plugin,
        allow_labels=False,
        allow_space=False,
        allow_digits=False,
        allow_blank_lines=False,
        double_inline=True,
    )
    md.add_render_rule("math_inline", render_inline_math)
    md.add_render_rule("math_inline_double", render_inline_math)
    md.add_render_rule("math_block", render_block_math)
    return md


_md = _make_markdown()


def render_answer(markdown: str, ctx: RenderContext) -> str:
    """Sanitised HTML of one answer."""
    if not markdown.strip():
        return ""
    source, maths = extract_math(markdown)
    rendered = _md.render(source)
    # Column alignment arrives as a style attribute, which the sanitiser drops: keep it as align.
    rendered = _ALIGN_STYLE.sub(r'<\1 align="\2"', rendered)
    rendered = _IMG_TAG.sub(lambda m: _image(m["attrs"], ctx), rendered)
    rendered = restore_math(rendered, maths)
    return sanitize(rendered, ctx)


def sanitize(fragment: str, ctx: RenderContext | None = None) -> str:
    """Allow-list cleaning: no script, style, event handler or javascript:/data: URL survives."""
    return nh3.clean(
        fragment,
        tags=_HTML_TAGS | MATHML_TAGS,
        clean_content_tags={
            "script",
            "style",
            "iframe",
            "object",
            "embed",
            "noscript",
            "template",
            "textarea",
            "select",
            "svg",
        },
        attributes=_ATTRIBUTES,
        allowed_classes=_CLASSES,
        url_schemes={"http", "https", "mailto"},
        attribute_filter=lambda tag, attr, value: _filter_attribute(tag, attr, value, ctx),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def plain_text(fragment: str) -> str:
    """The visible text of a sanitised fragment, for search."""
    text = re.sub(r"<[^>]+>", " ", fragment)
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


# --- images and links -------------------------------------------------------------------------


def _attrs(raw: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for m in _ATTR.finditer(raw):
        name = m["name"].lower()
        value = m["dq"] if m["dq"] is not None else m["sq"] if m["sq"] is not None else m["bare"]
        found.setdefault(name, html.unescape(value or ""))
    return found


def _image(raw_attrs: str, ctx: RenderContext) -> str:
    """An <img> of the pack: its figure shipped with it, the repository's file at the pinned
    commit (MOGI_REMOTE_IMAGE_BASE), or a captioned stand-in."""
    attrs = _attrs(raw_attrs)
    src = attrs.get("src", "").strip()
    if urlsplit(src).hostname in _OUTSIDE_RENDERERS:
        return ""
    path = _repository_path(src, ctx)
    alt = attrs.get("alt", "").strip()
    # A file name says nothing to a reader (or a screen reader): the figure goes without one.
    if _FILE_NAME.match(alt) or alt == posixpath.basename(urlsplit(src).path):
        alt = ""
    size = "".join(f' {k}="{html.escape(attrs[k])}"' for k in ("width", "height") if attrs.get(k))
    local = ctx.assets.get(path) if path else None
    if local:
        return f'<img src="{html.escape(local)}" alt="{html.escape(alt)}" loading="lazy"{size}>'
    if path and ctx.remote_image_base and ctx.source_repository and ctx.source_commit:
        url = "/".join(
            [
                ctx.remote_image_base.rstrip("/"),
                ctx.source_repository,
                ctx.source_commit,
                quote(path),
            ]
        )
        return f'<img src="{html.escape(url)}" alt="{html.escape(alt)}" loading="lazy"{size}>'
    caption = html.escape(alt or "그림")
    link = (
        _repository_url(path, ctx)
        if path
        else src
        if src.startswith(("https://", "http://"))
        else ""
    )
    inner = f'<a href="{html.escape(link)}">{caption}</a>' if link else caption
    return f'<span class="img-placeholder">{inner}</span>'


def image_paths(markdown: str, ctx: RenderContext) -> list[str]:
    """Repository paths of the figures an answer shows (Markdown images and <img> tags)."""
    found: list[str] = []
    for src in _image_sources(markdown):
        path = _repository_path(src, ctx)
        if path and path not in found:
            found.append(path)
    return found


def _image_sources(markdown: str) -> list[str]:
    rendered = _md.render(markdown)
    return [_attrs(m["attrs"]).get("src", "").strip() for m in _IMG_TAG.finditer(rendered)]


def _repository_path(url: str, ctx: RenderContext) -> str:
    """The path inside the pack's source repository that url points at, or ''."""
    if not url or not ctx.source_repository:
        return ""
    github = _GITHUB_FILE.match(url) or _RAW_FILE.match(url)
    if github:
        same = github[1].lower() == ctx.source_repository.lower()
        return github[2].split("#", 1)[0] if same else ""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path:
        return ""
    if parts.path.startswith("/"):
        path = parts.path.lstrip("/")
    else:
        path = posixpath.join(posixpath.dirname(ctx.source_path), parts.path)
    path = posixpath.normpath(path)
    return "" if path.startswith("..") or path == "." else path


def _repository_url(path: str, ctx: RenderContext, fragment: str = "") -> str:
    commit = ctx.source_commit or "HEAD"
    url = f"{GITHUB}/{ctx.source_repository}/blob/{commit}/{quote(path)}"
    return f"{url}#{fragment}" if fragment else url


def _filter_attribute(tag: str, attr: str, value: str, ctx: RenderContext | None) -> str | None:
    if attr == "id":  # only footnote anchors: any other id could shadow the page's own
        return value if _FOOTNOTE_ID.match(value) else None
    if tag == "a" and attr == "href" and ctx is not None:
        return _link(value.strip(), ctx)
    if tag == "img" and attr == "src":
        # Our own origin's figures (/packs/...), or http(s) when MOGI_REMOTE_IMAGE_BASE is set.
        if value.startswith(ASSET_PREFIX) and ".." not in value:
            return value
        if urlsplit(value).scheme not in ("http", "https"):
            return None
    return value


def link_url(href: str, ctx: RenderContext) -> str:
    """Where a reference's URL should point (entry and pack links go to our pages)."""
    return _link(href.strip(), ctx) or ""


def _link(href: str, ctx: RenderContext) -> str | None:
    """Entry links go to our question pages; files of the source repository to its pinned commit."""
    entry = _ENTRY_FRAGMENT.match(href)
    if entry:
        return f"/questions/{ctx.pack_slug}/{entry[1]}"
    if href.startswith("#"):
        return href
    parts = urlsplit(href)
    path = _repository_path(href, ctx)
    if path and (parts.scheme in ("", "http", "https")):
        other = ctx.pack_paths.get(path)
        if other is not None:  # another pack of the library: our page, not GitHub's
            number = _ENTRY_FRAGMENT.match("#" + parts.fragment)
            return f"/questions/{other}/{number[1]}" if number else f"/questions/{other}"
        return _repository_url(path, ctx, parts.fragment)
    if parts.scheme in ("http", "https", "mailto"):
        return href
    return None
