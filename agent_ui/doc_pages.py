"""A Markdown document of docs/ as a console page: its HTML and a table of contents.

Rendered by markdown-it-py (CommonMark, plus GFM tables) with raw HTML off: whatever the document
holds (``<script>`` in prose, a heading, a table cell or a code block) reaches the page as text,
and links it cannot vouch for (``javascript:``, ``data:``…) are left as text by the parser's own
check. Headings of level 2 and 3 get ids, which the table of contents links to."""

from __future__ import annotations

import dataclasses
import functools
import re
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

#: the heading levels listed in the contents (the level-1 heading is the page's title)
TOC_LEVELS = ("h2", "h3")


@dataclasses.dataclass(frozen=True)
class Heading:
    level: int
    text: str
    id: str
    children: tuple[Heading, ...] = ()


@dataclasses.dataclass(frozen=True)
class Document:
    title: str
    html: Markup
    toc: tuple[Heading, ...]


def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def _plain(inline: Token) -> str:
    """A heading's words as read: its text and code, without the Markdown around them."""
    return "".join(
        child.content for child in inline.children or () if child.type in ("text", "code_inline")
    ).strip()


def _slug(text: str, taken: set[str]) -> str:
    """An id for a heading from its words (Chinese ones kept: 时长的写法), unique in the page."""
    base = re.sub(r"[^\w]+", "-", text.lower()).strip("-") or "section"
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    taken.add(slug)
    return slug


def render(text: str) -> Document:
    parser = _parser()
    tokens = parser.parse(text)
    title, flat, taken = "", [], set()
    for i, token in enumerate(tokens):
        if token.type == "table_open":
            token.attrSet("class", "grid")  # the console's tables
        elif token.type == "heading_open":
            words = _plain(tokens[i + 1])
            if token.tag == "h1" and not title:
                title = words
            elif token.tag in TOC_LEVELS:
                slug = _slug(words, taken)
                token.attrSet("id", slug)
                flat.append(Heading(int(token.tag[1]), words, slug))
    html = parser.renderer.render(tokens, parser.options, {})
    return Document(title=title, html=Markup(html), toc=_nested(flat))


def _nested(flat: list[Heading]) -> tuple[Heading, ...]:
    """Level-3 headings under the level-2 heading before them."""
    out: list[Heading] = []
    for heading in flat:
        if heading.level > 2 and out:
            out[-1] = dataclasses.replace(out[-1], children=(*out[-1].children, heading))
        else:
            out.append(heading)
    return tuple(out)


def load(path: Path) -> Document:
    """``path`` rendered, again only when the file changed (a page view does not parse 50 KB)."""
    stat = path.stat()
    return _cached(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _cached(path: str, _mtime_ns: int, _size: int) -> Document:
    return render(Path(path).read_text(encoding="utf-8"))
