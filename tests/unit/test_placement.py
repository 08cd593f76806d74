"""Where a field may go: inside an existing page, with a real size, to the point."""

import pytest

from undersign.domain.errors import InvalidInput
from undersign.domain.field import PageSize, Placement

LETTER_THEN_A4 = [PageSize(width=612, height=792), PageSize(width=595, height=842)]


def placement(**overrides) -> Placement:
    return Placement(**{"page": 1, "x": 10, "y": 10, "width": 100, "height": 20, **overrides})


@pytest.mark.parametrize(
    "fits",
    [
        placement(x=0, y=0),
        placement(x=512, y=772),  # touches the right and bottom edges exactly
        placement(page=2, x=495, y=822),  # page 2's own size counts, not page 1's
        placement(width=0.5, height=0.5),
    ],
)
def test_placements_inside_the_page_fit(fits):
    fits.check_fits(LETTER_THEN_A4)


@pytest.mark.parametrize(
    ("off", "words"),
    [
        (placement(x=-0.5), "does not fit"),
        (placement(y=-0.5), "does not fit"),
        (placement(x=512.5), "does not fit"),
        (placement(y=772.5), "does not fit"),
        (placement(page=2, x=495.5), "does not fit"),
        (placement(page=2, y=822.5), "does not fit"),
        (placement(width=0), "positive width and height"),
        (placement(height=0), "positive width and height"),
        (placement(width=-5), "positive width and height"),
        (placement(page=0), "page 0 does not exist: the document has 2 page(s)"),
        (placement(page=3), "page 3 does not exist"),
    ],
)
def test_placements_off_the_page_are_refused(off, words):
    with pytest.raises(InvalidInput, match=words.replace("(", r"\(").replace(")", r"\)")):
        off.check_fits(LETTER_THEN_A4)


def test_the_refusal_names_the_page_size():
    with pytest.raises(InvalidInput, match="page 1, which is 612 x 792 points"):
        placement(x=600).check_fits(LETTER_THEN_A4)
