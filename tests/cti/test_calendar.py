"""Working time across weekends, Chinese holidays and make-up days."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from cti.calendar import CalendarError, WorkCalendar

SH = ZoneInfo("Asia/Shanghai")


def at(y, m, d, hh=0, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=SH)


@pytest.fixture(scope="module")
def cal():
    return WorkCalendar.china()


def test_weekday_hours_and_lunch_break(cal):
    assert cal.is_working_time(at(2026, 11, 25, 9, 0))  # Wednesday
    assert not cal.is_working_time(at(2026, 11, 25, 12, 30))
    assert cal.is_working_time(at(2026, 11, 25, 13, 30))
    assert not cal.is_working_time(at(2026, 11, 25, 17, 30))  # end is exclusive
    assert not cal.is_working_time(at(2026, 11, 28, 10, 0))  # Saturday


def test_holidays_and_makeup_days(cal):
    assert not cal.is_working_time(at(2026, 10, 5, 10, 0))  # 国庆, a Monday
    assert cal.is_working_time(at(2026, 10, 10, 10, 0))  # make-up Saturday
    assert cal.is_working_time(at(2026, 9, 20, 10, 0))  # make-up Sunday
    assert cal.is_working_time(at(2026, 1, 4, 9, 0))  # make-up after 元旦
    assert not cal.is_working_time(at(2026, 2, 18, 9, 0))  # 春节
    assert cal.is_working_time(at(2026, 2, 14, 9, 0))


def test_add_working_time_over_lunch_and_evening(cal):
    assert cal.add_working_time(at(2026, 11, 25, 11, 30), 60) == at(2026, 11, 25, 14, 0)
    assert cal.add_working_time(at(2026, 11, 25, 17, 0), 60) == at(2026, 11, 26, 9, 0)
    # ends exactly at closing: due at closing, not the next morning
    assert cal.add_working_time(at(2026, 11, 25, 17, 0), 30) == at(2026, 11, 25, 17, 30)


def test_add_working_time_across_weekend(cal):
    # Friday 17:00 + 1h -> Monday 09:00
    assert cal.add_working_time(at(2026, 11, 27, 17, 0), dt.timedelta(hours=1)) == at(2026, 11, 30, 9, 0)


def test_add_working_time_across_national_day(cal):
    # Wed 30 Sep 17:00 + 1h: Oct 1-7 closed, Thu Oct 8 opens 08:30
    assert cal.add_working_time(at(2026, 9, 30, 17, 0), 60) == at(2026, 10, 8, 9, 0)
    # started on the holiday itself
    assert cal.add_working_time(at(2026, 10, 3, 10, 0), 30) == at(2026, 10, 8, 9, 0)


def test_seven_working_days(cal):
    seven = cal.working_days(7)
    assert seven == dt.timedelta(hours=7.5 * 7)
    # Mon 28 Sep 2026 08:30 + 7 working days: Sep 28, 29, 30, Oct 8, 9, 10 (make-up Sat), 12
    assert cal.add_working_time(at(2026, 9, 28, 8, 30), seven) == at(2026, 10, 12, 17, 30)


def test_working_time_between_is_inverse_of_add(cal):
    start = at(2026, 12, 31, 16, 0)
    end = cal.add_working_time(start, 300)
    assert end == at(2027, 1, 4, 12, 0)  # 90 min on Dec 31, 元旦 Jan 1-3, 210 min on Mon Jan 4
    assert cal.working_time_between(start, end) == dt.timedelta(minutes=300)
    assert cal.working_time_between(end, start) == -dt.timedelta(minutes=300)


def test_next_working_instant(cal):
    assert cal.next_working_instant(at(2026, 11, 25, 10, 0)) == at(2026, 11, 25, 10, 0)
    assert cal.next_working_instant(at(2026, 11, 25, 12, 5)) == at(2026, 11, 25, 13, 30)
    assert cal.next_working_instant(at(2026, 5, 1, 7, 0)) == at(2026, 5, 6, 8, 30)


def test_naive_datetimes_are_utc(cal):
    # 01:00 UTC = 09:00 Shanghai on a Wednesday
    naive = dt.datetime(2026, 11, 25, 1, 0)
    assert cal.is_working_time(naive)
    result = cal.add_working_time(naive, 60)
    assert result.tzinfo is None and result == dt.datetime(2026, 11, 25, 2, 0)


def test_always_open():
    cal = WorkCalendar.always_open()
    assert cal.is_working_time(at(2026, 10, 1, 3, 0))
    assert cal.add_working_time(at(2026, 10, 1, 23, 30), 60) == at(2026, 10, 2, 0, 30)
    assert cal.working_time_between(at(2026, 10, 1), at(2026, 10, 3)) == dt.timedelta(days=2)
    assert cal.working_days(2) == dt.timedelta(days=2)


def test_from_dict_custom_hours_and_extra_holiday():
    cal = WorkCalendar.from_dict(
        {
            "timezone": "Asia/Shanghai",
            "hours": {"mon": ["09:00-18:00"], "sat": ["09:00-12:00"]},
            "holidays": [{"from": "2026-11-30", "to": "2026-11-30"}],
            "workdays": ["2026-11-29"],
        }
    )
    assert cal.is_working_time(at(2026, 11, 28, 10, 0))  # Saturday hours
    assert not cal.is_working_time(at(2026, 11, 30, 10, 0))  # extra holiday
    assert cal.is_working_time(at(2026, 11, 29, 17, 0))  # make-up Sunday uses Monday's hours
    assert not cal.is_working_time(at(2026, 11, 25, 10, 0))  # Wednesday: no hours configured


def test_own_days_win_over_the_included_national_ones():
    """A site's own day off on a national make-up day is closed, its own working day in a national
    holiday open (the own lists used to be merged under the national ones, and make-up days won)."""
    cal = WorkCalendar.from_dict(
        {
            "include_holidays": "cn",
            "holidays": ["2026-09-20"],
            "workdays": [{"from": "2026-10-02", "to": "2026-10-03"}],
        }
    )
    assert not cal.is_working_time(at(2026, 9, 20, 10, 0))  # 国庆节调休 Sunday, the site closed
    assert cal.is_working_time(at(2026, 10, 2, 10, 0)) and cal.is_working_time(at(2026, 10, 3, 10, 0))
    assert not cal.is_working_time(at(2026, 10, 1, 10, 0))  # the national holiday elsewhere
    assert cal.is_working_time(at(2026, 10, 10, 10, 0))  # the other make-up day still worked


@pytest.mark.parametrize(
    "data",
    [
        {"hours": {"mon": ["12:00-09:00"]}},
        {"hours": {"xyz": ["09:00-10:00"]}},
        {"hours": {"mon": ["9-10"]}},
        {"timezone": "Mars/Olympus"},
        {"hours": {"mon": ["09:00-12:00", "11:00-13:00"]}},
    ],
)
def test_bad_calendar_data_is_rejected(data):
    with pytest.raises(CalendarError):
        WorkCalendar.from_dict(data)


def test_calendar_without_hours_raises_instead_of_looping():
    cal = WorkCalendar.from_dict({"hours": {}})
    with pytest.raises(CalendarError):
        cal.add_working_time(at(2026, 1, 5), 10)
