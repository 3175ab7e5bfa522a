"""blanks.trim's shortcut (printable ends that are no space: nothing to cut) cuts what the walk cuts."""

from hypothesis import example, given, settings
from hypothesis import strategies as st

from ticketing import blanks

EDGES = "\t\n\x0b\x0c\r\x1c\x1f \x7f\x85\xa0\u1680\u2000\u2028\u3000\u200b\u200c\u200d\u2060\ufeff!~aZ0天号"


def walked(text: str) -> str:
    """What trim cut before the shortcut: invisible characters walked off each end."""
    start, end = 0, len(text)
    while start < end and blanks._invisible(text[start]):
        start += 1
    while end > start and blanks._invisible(text[end - 1]):
        end -= 1
    return text[start:end]


@given(st.text(alphabet=st.sampled_from(EDGES) | st.characters(), max_size=6))
@settings(max_examples=500)
@example(" a~")
@example("a~ ")
@example("\u3000故障\u200b")
@example("\x7f!")
@example("!\x1f")
def test_trim_cuts_what_the_walk_cuts(text):
    assert blanks.trim(text) == walked(text)
    assert blanks.is_blank(text) == (walked(text) == "")
