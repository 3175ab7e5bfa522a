"""Outbound fax documents: text (Chinese included) and uploads become TIFF-F pages that
SendFAX transmits as they are: 1728 pixels wide, 204 × 196 dpi, bilevel G4, A4 long."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from PIL import Image, ImageDraw, ImageSequence

from recordings import RecordingStore, fax_out
from recordings.fax import FaxConversionError

NOTICE = "2026-11-26 09:00 至 13:00；停电范围：中关村大街 1-50 号；原因：线路检修。请提前做好准备。"


def _frames(path):
    with Image.open(path) as image:
        return [
            (frame.size, frame.mode, frame.info.get("compression"), frame.info.get("dpi"), frame.copy())
            for frame in ImageSequence.Iterator(image)
        ]


def _ink(page: Image.Image, box: tuple[int, int, int, int]) -> int:
    """Black pixels in ``box`` of a bilevel page."""
    return page.crop(box).convert("L").histogram()[0]


def test_chinese_text_becomes_one_fine_a4_fax_page_with_its_glyphs_drawn(tmp_path):
    path = tmp_path / "notice.tif"
    pages = fax_out.write_tiff(fax_out.render_text("停电通知", NOTICE), path)

    assert pages == 1
    [(size, mode, compression, dpi, page)] = _frames(path)
    assert size == (1728, 2292) and mode == "1"
    assert compression == "group4" and tuple(round(v) for v in dpi) == (204, 196)
    # the title line holds ink (CJK glyphs, not tofu boxes: a box would be the same for every
    # character, so two different titles would draw the same pixels)
    title_band = (fax_out.MARGIN_X, fax_out.MARGIN_Y, 1728 - fax_out.MARGIN_X, fax_out.MARGIN_Y + 70)
    assert _ink(page, title_band) > 500
    other = fax_out.render_text("抄表通知", NOTICE)[0]
    assert page.crop(title_band).tobytes() != other.crop(title_band).tobytes()
    # the lower half of a short notice is blank paper, apart from the page number at the foot
    assert _ink(page, (0, 1200, 1728, 2100)) == 0
    assert _ink(page, (0, 2100, 1728, 2292)) > 0


def test_long_text_runs_onto_several_pages_within_the_margins(tmp_path):
    body = "\n".join(
        f"{n}. 峰时段 8:00-22:00，谷时段 22:00-次日 8:00，请合理安排用电。" for n in range(1, 121)
    )
    path = tmp_path / "long.tif"
    pages = fax_out.write_tiff(fax_out.render_text("峰谷电价执行时间", body), path)

    frames = _frames(path)
    assert pages == len(frames) >= 3
    for size, _mode, _compression, _dpi, page in frames:
        assert size == (1728, 2292)
        assert _ink(page, (0, 0, fax_out.MARGIN_X - 2, 2292)) == 0  # nothing in the left margin
        assert _ink(page, (0, 400, 1728, 1800)) > 1000


def test_far_too_long_text_is_refused():
    with pytest.raises(FaxConversionError) as refused:
        fax_out.render_text("", "长" * 40 * 60 * (fax_out.MAX_PAGES + 1))
    assert refused.value.error_id == "fax.too_long"


def test_a_pdf_upload_is_rasterised_onto_a4_fax_pages(tmp_path):
    sheets = []
    for n in range(2):
        sheet = Image.new("L", (595, 842), 255)  # A4 at 72 dpi
        ImageDraw.Draw(sheet).rectangle((60, 60 + n * 300, 535, 200 + n * 300), fill=0)
        sheets.append(sheet)
    pdf = io.BytesIO()
    sheets[0].save(pdf, "PDF", save_all=True, append_images=sheets[1:], resolution=72.0)
    path = tmp_path / "upload.tif"

    assert fax_out.pdf_to_tiff(pdf.getvalue(), path) == 2
    frames = _frames(path)
    assert [f[0] for f in frames] == [(1728, 2292)] * 2
    assert {tuple(round(v) for v in f[3]) for f in frames} == {(204, 196)}
    first, second = frames[0][4], frames[1][4]
    assert _ink(first, (300, 300, 1400, 500)) > 100_000  # the black block, where the PDF had it
    assert _ink(second, (300, 300, 1400, 500)) == 0 and _ink(second, (300, 1100, 1400, 1300)) > 100_000


def test_a_file_that_is_no_pdf_or_image_is_refused(tmp_path):
    store = RecordingStore(tmp_path)
    for junk in (b"%PDF-1.4 this is not really a pdf", b"just some text"):
        with pytest.raises(FaxConversionError) as refused:
            fax_out.prepare(store, upload=junk)
        assert refused.value.error_id == "fax.document_invalid"
    assert not list(store.kind_dir("fax_out").glob("*.tif*"))  # nothing left behind


def test_a_scanned_tiff_upload_is_fitted_and_the_document_named_after_its_row(tmp_path):
    scan = Image.new("L", (2480, 3508), 255)  # A4 at 300 dpi
    ImageDraw.Draw(scan).rectangle((200, 200, 2280, 600), fill=0)
    upload = io.BytesIO()
    scan.save(upload, "TIFF", dpi=(300, 300), compression="tiff_lzw")
    store = RecordingStore(tmp_path)

    document = fax_out.prepare(store, upload=upload.getvalue())
    queued_at = dt.datetime(2026, 11, 26, 1, 2, tzinfo=dt.UTC)
    placed = fax_out.place(store, document, 42, queued_at)

    asterisk, here = fax_out.document_paths(store, 42, queued_at)
    assert asterisk == "/var/spool/asterisk/fax/hotline-out/20261126/42.tif"
    assert placed == here == tmp_path / "var/spool/asterisk/fax/hotline-out/20261126/42.tif"
    [(size, mode, _c, _dpi, page)] = _frames(here)
    assert document.pages == 1 and size == (1728, 2292) and mode == "1"
    assert _ink(page, (200, 200, 1500, 400)) > 100_000
