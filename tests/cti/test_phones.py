import pytest

from cti.phones import (
    BAD_PHONE,
    DIALABLE,
    EMERGENCY_PHONE,
    LANDLINE_DIGITS,
    LISTED,
    MOBILE_DIGITS,
    NOT_DIALED_PHONE,
    SERVICE_PHONE,
    InvalidPhoneNumber,
    checked,
    is_mobile,
    is_service_number,
    normalize,
    readable,
)


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


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("13800138000", "13800138000"),
        ("020-8888-6666", "02088886666"),  # 010 / 02x: 8 digits
        ("0755-2888-666", "07552888666"),  # a 3-digit area code: 7 or 8
        ("0755 2888 6666", "075528886666"),
        ("88886666", "88886666"),  # local, no default area code: kept local
        ("400-820-8820", "4008208820"),  # a company's line
        ("+852 9123 4567", "0085291234567"),  # abroad
    ],
)
def test_a_typed_contact_number_of_the_numbering_plan_is_taken(raw, expected):
    assert checked(raw) == expected


@pytest.mark.parametrize(
    "raw, problem",
    [
        ("1380013800", MOBILE_DIGITS),  # a mobile one digit short
        ("138001380001", MOBILE_DIGITS),
        ("020-8888-666", LANDLINE_DIGITS),
        ("0755-1234567", LANDLINE_DIGITS),  # a subscriber number never starts with 1
        ("110", EMERGENCY_PHONE),
        ("020-110", EMERGENCY_PHONE),  # Guangzhou's 110
        ("95598", SERVICE_PHONE),
        ("10086", SERVICE_PHONE),
        ("1234567", BAD_PHONE),
        ("abc123", BAD_PHONE),
    ],
)
def test_a_typed_contact_number_off_the_plan_is_refused_saying_why(raw, problem):
    with pytest.raises(InvalidPhoneNumber) as refused:
        checked(raw)
    assert refused.value.problem == problem


def test_each_use_takes_its_own_kinds():
    # the do-not-call list: only what the dialer could call (never 400/800, 95598, 110)
    assert checked("13800138000", kinds=DIALABLE) == "13800138000"
    for raw, problem in (
        ("4008208820", NOT_DIALED_PHONE),
        ("95598", SERVICE_PHONE),
        ("110", EMERGENCY_PHONE),
    ):
        with pytest.raises(InvalidPhoneNumber) as refused:
            checked(raw, kinds=DIALABLE)
        assert refused.value.problem == problem
    # a call list's row: any number of the plan (never_dial names why a 95598 is left out)
    assert [checked(raw, kinds=LISTED) for raw in ("95598", "110")] == ["95598", "110"]
    with pytest.raises(InvalidPhoneNumber):
        checked("1380013800", kinds=LISTED)


def test_caller_ids_are_not_held_to_the_plan():
    """What Asterisk hands over may be anything: normalize and readable take it as it is."""
    assert normalize("1380013800") == "1380013800"
    assert readable("110") == "110" and readable("95598") == "95598"
    assert checked("8888 6666", default_area_code="020") == "02088886666"
