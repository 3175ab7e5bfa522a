import pytest

from cti.phones import InvalidPhoneNumber, checked, is_mobile, is_service_number, normalize


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("13800138000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("008613800138000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("013800138000", "13800138000"),
        ("020-8888-6666", "02088886666"),
        ("+86 20 8888 6666", "02088886666"),
        ("0086 20 88886666", "02088886666"),
        ("95598", "95598"),
        ("400-820-8820", "4008208820"),
    ],
)
def test_spellings_of_one_number_normalise_to_one_key(raw, expected):
    assert normalize(raw) == expected


def test_bare_local_landline_takes_the_default_area_code():
    assert normalize("88886666", default_area_code="020") == "02088886666"
    assert normalize("88886666") == "88886666"


@pytest.mark.parametrize("raw", ["", "   ", "anonymous", None])
def test_text_without_digits_is_refused(raw):
    with pytest.raises(InvalidPhoneNumber):
        normalize(raw)


def test_classification():
    assert is_mobile("13800138000") and not is_mobile("02088886666")
    assert is_service_number("95598") and is_service_number("4008208820")
    assert not is_service_number("13800138000")


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("１３９９９９９９００２", "13999999002"),  # full-width, as a Chinese input method types them
        ("＋８６ １３９ ９９９９ ９００２", "13999999002"),
        ("０２０－８８８８－６６６６", "02088886666"),
        ("١٣٩٩٩٩٩٩٠٠٢", "13999999002"),  # Arabic-Indic digits: any script's decimal digits
    ],
)
def test_unicode_digits_become_ascii_so_one_number_has_one_key(raw, expected):
    assert normalize(raw) == expected
    assert checked(raw) == expected
    assert is_mobile(normalize(raw)) == expected.startswith("1")


def test_what_is_left_after_normalising_is_ascii_digits_only():
    assert normalize("１３８ ①②③") == "138"  # circled numbers are no decimal digits: cut like any symbol
    for raw in ("１３９９９９９９００２", "0２0-8888-6666"):
        assert normalize(raw).isascii()
