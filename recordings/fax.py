"""Fax TIFF (as res_fax writes it: one G3/G4 page per frame) to PDF for viewing and mail.

Fax resolutions are not square (204×98 dpi "normal", 204×196 "fine"); pages
are stretched to square pixels so they keep their A4 proportions in the PDF.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageSequence, UnidentifiedImageError


class FaxConversionError(Exception):
    def __init__(self, error_id: str, message: str) -> None:
        self.error_id = error_id
        super().__init__(message)


def tiff_to_pdf(src: str | Path, dst: str | Path | None = None) -> tuple[Path, int]:
    """Write ``src`` as a PDF (default: beside it, ``.pdf``); returns the path and the page count."""
    src = Path(src)
    dst = Path(dst) if dst is not None else src.with_suffix(".pdf")
    try:
        image = Image.open(src)
    except (UnidentifiedImageError, OSError) as exc:
        raise FaxConversionError(
            "recordings.fax_unreadable", f"{src.name} is not a readable TIFF: {exc}"
        ) from exc
    with image:
        pages = [_square(frame.copy()) for frame in ImageSequence.Iterator(image)]
    if not pages:
        raise FaxConversionError("recordings.fax_empty", f"{src.name} has no pages")
    dpi = pages[0].info.get("dpi", (204, 204))[0] or 204
    tmp = dst.with_name(dst.name + ".part")
    pages[0].save(tmp, "PDF", save_all=True, append_images=pages[1:], resolution=float(dpi))
    tmp.replace(dst)
    return dst, len(pages)


def _square(page: Image.Image) -> Image.Image:
    x_dpi, y_dpi = (float(v) for v in page.info.get("dpi", (0, 0)) or (0, 0))
    if page.mode not in ("1", "L", "RGB"):
        page = page.convert("L")
    if x_dpi and y_dpi and abs(x_dpi - y_dpi) > 1:
        height = round(page.height * x_dpi / y_dpi)
        page = page.resize((page.width, height))
        page.info["dpi"] = (x_dpi, x_dpi)
    return page
