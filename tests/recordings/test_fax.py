"""Fax TIFF (multi-page, G3/G4, non-square fax resolution) to PDF."""

from __future__ import annotations

import re

import pytest
from PIL import Image, ImageDraw

from recordings import FaxConversionError, tiff_to_pdf


def fax_tiff(path, pages=2, compression="group4", dpi=(204, 98)):
    frames = []
    for n in range(pages):
        page = Image.new("1", (1728, 1143), 1)  # a "normal" resolution A4 fax page
        ImageDraw.Draw(page).text((100, 100 + n * 50), f"page {n + 1}", fill=0)
        frames.append(page)
    frames[0].save(path, save_all=True, append_images=frames[1:], compression=compression, dpi=dpi)
    return path


@pytest.mark.parametrize("compression", ["group4", "group3"])
def test_multi_page_fax_becomes_a_pdf_with_every_page(tmp_path, compression):
    src = fax_tiff(tmp_path / "1.tif", pages=3, compression=compression)
    pdf, pages = tiff_to_pdf(src)
    assert pages == 3 and pdf == tmp_path / "1.pdf"
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", data)) == 3


def test_pages_are_stretched_to_square_pixels(tmp_path):
    pdf, _ = tiff_to_pdf(fax_tiff(tmp_path / "2.tif", pages=1), tmp_path / "out.pdf")
    text = pdf.read_bytes()
    # 1728 x 1143 px at 204x98 dpi is 8.47 x 11.66 in: an A4-like page, so the MediaBox is taller than wide.
    box = [float(v) for v in re.search(rb"/MediaBox \[\s*([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+)", text).groups()]
    width, height = box[2] - box[0], box[3] - box[1]
    assert 1.3 < height / width < 1.45


def test_not_a_tiff_is_a_named_error(tmp_path):
    bad = tmp_path / "bad.tif"
    bad.write_bytes(b"not a tiff")
    with pytest.raises(FaxConversionError) as info:
        tiff_to_pdf(bad)
    assert info.value.error_id == "recordings.fax_unreadable"
    assert not (tmp_path / "bad.pdf").exists()
