"""Outbound faxes: the document as a TIFF-F file, and the gateway that sends it through Asterisk.

A fax page is 1728 pixels wide (the 215 mm scan line every machine accepts) at
204 × 196 dpi ("fine"), A4 long, one bilevel Group 4 frame per page: what
``SendFAX`` (res_fax_spandsp) transmits as is. Text is laid out here with the
WenQuanYi Micro Hei font (Chinese and Latin); an uploaded PDF is rasterised by
ghostscript; an uploaded TIFF is fitted onto such pages.

The file is ``<notification id>.tif`` under the store's ``fax_out`` folder (in
the Asterisk root, by the day it was queued), so the dispatcher finds it from
the outbox row alone.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterable
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageSequence, UnidentifiedImageError

from recordings.fax import FaxConversionError
from recordings.store import RecordingStore

WIDTH = 1728
X_DPI, Y_DPI = 204, 196
HEIGHT = round(297 / 25.4 * Y_DPI)  # A4: 2292 lines
MARGIN_X = round(15 / 25.4 * X_DPI)
MARGIN_Y = round(15 / 25.4 * Y_DPI)
MAX_PAGES = 30
MAX_UPLOAD_BYTES = 8 * 1024 * 1024  # what the console accepts in one request
FONT_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)
_WORD_END = re.compile(r"[A-Za-z0-9'’.,:;!?()-]+$")
BODY_PX, TITLE_PX, FOOTER_PX = 36, 48, 26  # about 12 pt, 16 pt and 9 pt at 204 dpi


def _font(size: int) -> ImageFont.FreeTypeFont:
    for path in FONT_PATHS:
        if os.path.exists(path):
            return ImageFont.truetype(path, size)
    raise FaxConversionError(
        "fax.font_missing",
        "no CJK font to write the fax with; deploy/system-deps.sh installs fonts-wqy-microhei",
    )


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Lines no wider than ``width``: Chinese breaks between any two characters, Latin at spaces.

    A line's width is the sum of its characters' advances, each measured once per font:
    measuring the whole line again for every character made a 30-page text take 20 s."""
    advance: dict[str, float] = {}

    def measure(s: str) -> float:
        total = 0.0
        for c in s:
            w = advance.get(c)
            if w is None:
                w = advance[c] = font.getlength(c)
            total += w
        return total

    lines: list[str] = []
    for paragraph in text.replace("\r\n", "\n").split("\n"):
        line, line_width = "", 0.0
        for char in paragraph:
            char_width = measure(char)
            if line_width + char_width <= width:
                line += char
                line_width += char_width
                continue
            # a Latin word in progress moves to the next line whole
            word = _WORD_END.search(line) if char.isascii() and char.isalnum() else None
            if word is not None and word.start() > 0:
                lines.append(line[: word.start()].rstrip())
                line = word.group() + char
            else:
                lines.append(line.rstrip())
                line = "" if char == " " else char
            line_width = measure(line)
        lines.append(line)
    return lines


def render_text(title: str, body: str, *, header: str = "") -> list[Image.Image]:
    """``title`` and ``body`` laid out on fax pages, each with "第 n/N 页" at the foot."""
    title_font, body_font, footer_font = _font(TITLE_PX), _font(BODY_PX), _font(FOOTER_PX)
    text_width = WIDTH - 2 * MARGIN_X
    # (text, font, line height): the title first, then a blank line, then the body
    rows: list[tuple[str, ImageFont.FreeTypeFont, int]] = []
    if header:
        rows += [
            (line, footer_font, round(FOOTER_PX * 1.5)) for line in _wrap(header, footer_font, text_width)
        ]
    if title.strip():
        rows += [
            (line, title_font, round(TITLE_PX * 1.5)) for line in _wrap(title.strip(), title_font, text_width)
        ]
        rows.append(("", body_font, BODY_PX))
    rows += [(line, body_font, round(BODY_PX * 1.6)) for line in _wrap(body.strip(), body_font, text_width)]
    bottom = HEIGHT - MARGIN_Y - 2 * FOOTER_PX
    pages: list[list[tuple[int, str, ImageFont.FreeTypeFont]]] = [[]]
    y = MARGIN_Y
    for text, font, height in rows:
        if y + height > bottom and pages[-1]:
            pages.append([])
            y = MARGIN_Y
        pages[-1].append((y, text, font))
        y += height
    if len(pages) > MAX_PAGES:
        raise FaxConversionError("fax.too_long", f"the text fills {len(pages)} pages; at most {MAX_PAGES}")
    images = []
    for number, lines in enumerate(pages, 1):
        page = Image.new("1", (WIDTH, HEIGHT), 1)
        draw = ImageDraw.Draw(page)
        for y, text, font in lines:
            draw.text((MARGIN_X, y), text, font=font, fill=0)
        footer = f"第 {number}/{len(pages)} 页"
        draw.text(
            ((WIDTH - footer_font.getlength(footer)) / 2, HEIGHT - MARGIN_Y - FOOTER_PX),
            footer,
            font=footer_font,
            fill=0,
        )
        images.append(page)
    return images


def _fit(frame: Image.Image) -> Image.Image:
    """A scanned or drawn page of any size, fitted onto one fax page (aspect kept, centred)."""
    x_dpi, y_dpi = (float(v) or 0 for v in (frame.info.get("dpi") or (0, 0)))
    gray = frame.convert("L")
    # the source's physical proportions, in fax pixels
    width, height = gray.width, gray.height * (x_dpi / y_dpi if x_dpi and y_dpi else 1) * Y_DPI / X_DPI
    scale = min(WIDTH / width, HEIGHT / height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    page = Image.new("L", (WIDTH, HEIGHT), 255)
    page.paste(gray.resize(size, Image.Resampling.LANCZOS), ((WIDTH - size[0]) // 2, (HEIGHT - size[1]) // 2))
    return page.convert("1")  # Floyd-Steinberg: photos stay recognisable


def tiff_pages(data: bytes) -> list[Image.Image]:
    """An uploaded TIFF (or PNG/JPEG scan), one fax page per frame."""
    try:
        image = Image.open(io.BytesIO(data))
        frames = [_fit(frame) for frame in ImageSequence.Iterator(image)]
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise FaxConversionError("fax.document_invalid", f"not a readable image: {exc}") from exc
    if not frames:
        raise FaxConversionError("fax.document_invalid", "the document has no pages")
    if len(frames) > MAX_PAGES:
        raise FaxConversionError("fax.too_long", f"{len(frames)} pages; at most {MAX_PAGES}")
    return frames


def write_tiff(pages: Iterable[Image.Image], path: str | os.PathLike) -> int:
    """Write ``pages`` as a multi-page TIFF-F (G4, 204×196 dpi); returns the page count."""
    pages = [p if p.mode == "1" else p.convert("1") for p in pages]
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    pages[0].save(
        tmp, "TIFF", save_all=True, append_images=pages[1:], compression="group4", dpi=(X_DPI, Y_DPI)
    )
    tmp.replace(path)
    return len(pages)


def pdf_to_tiff(data: bytes, path: str | os.PathLike) -> int:
    """Rasterise a PDF onto A4 fax pages with ghostscript; returns the page count."""
    gs = shutil.which("gs")
    if gs is None:
        raise FaxConversionError(
            "fax.converter_missing", "ghostscript (gs) is not installed; deploy/system-deps.sh installs it"
        )
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    with tempfile.NamedTemporaryFile(suffix=".pdf") as src:
        src.write(data)
        src.flush()
        done = subprocess.run(
            [
                gs, "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=tiffg4",
                f"-r{X_DPI}x{Y_DPI}", f"-g{WIDTH}x{HEIGHT}", "-dFIXEDMEDIA", "-dPDFFitPage",
                f"-sOutputFile={tmp}", src.name,
            ],
            capture_output=True,
            timeout=120,
            check=False,
        )  # fmt: skip
    if done.returncode != 0 or not tmp.exists():
        tmp.unlink(missing_ok=True)
        reason = (done.stderr or done.stdout).decode("utf-8", "replace").strip().splitlines()
        raise FaxConversionError(
            "fax.document_invalid", f"not a readable PDF: {reason[-1] if reason else 'ghostscript failed'}"
        )
    pages = count_pages(tmp)
    if pages > MAX_PAGES:
        tmp.unlink()
        raise FaxConversionError("fax.too_long", f"{pages} pages; at most {MAX_PAGES}")
    tmp.replace(path)
    return pages


def count_pages(path: str | os.PathLike) -> int:
    with Image.open(path) as image:
        return sum(1 for _ in ImageSequence.Iterator(image))


# -- the document of an outbox row -----------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class FaxDocument:
    """A finished TIFF-F in the store's ``fax_out`` folder, not yet named after its row."""

    path: Path
    pages: int


def prepare(
    store: RecordingStore, *, title: str = "", text: str = "", upload: bytes | None = None
) -> FaxDocument:
    """The fax of ``title`` + ``text``, or of an uploaded PDF / TIFF (blocking: call it in a thread)."""
    folder = store.kind_dir("fax_out")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"new-{uuid.uuid4().hex}.tif"
    if upload is None:
        if not (title.strip() or text.strip()):
            raise FaxConversionError("message_empty", "nothing to fax")
        pages = write_tiff(render_text(title, text), path)
    elif len(upload) > MAX_UPLOAD_BYTES:
        raise FaxConversionError("fax.document_invalid", f"the document is over {MAX_UPLOAD_BYTES >> 20} MB")
    elif upload.lstrip()[:5] == b"%PDF-":
        pages = pdf_to_tiff(upload, path)
    else:
        pages = write_tiff(tiff_pages(upload), path)
    return FaxDocument(path, pages)


def document_paths(store: RecordingStore, notification_id: int, queued_at: dt.datetime) -> tuple[str, Path]:
    """Where the fax of outbox row ``notification_id`` lives: (the path Asterisk sees, the path here)."""
    asterisk = store.asterisk_path("fax_out", str(notification_id), day=queued_at.astimezone(dt.UTC).date())
    return asterisk, store.host_path(asterisk)


def place(store: RecordingStore, document: FaxDocument, notification_id: int, queued_at: dt.datetime) -> Path:
    """Name ``document`` after its outbox row (once the row has an id)."""
    _, path = document_paths(store, notification_id, queued_at)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.path.replace(path)
    return path
