"""The dialer's pure rules with a fake clock: windows, retries, pacing, DNC."""

import datetime as dt

import pytest

from campaigns import rules
from cti.calendar import WorkCalendar

SH = dt.timezone(dt.timedelta(hours=8))
CAL = WorkCalendar.china()


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=SH)


def test_window_only_inside_its_hours_on_working_days():
    cal = rules.window_calendar(CAL, ["09:00-12:00", "14:00-20:00"])
    assert rules.may_call(cal, at(26, 9, 30))  # Thursday morning
    assert not rules.may_call(cal, at(26, 13, 0))  # lunch
    assert rules.may_call(cal, at(26, 19, 0))  # evening window, outside office hours
    assert not rules.may_call(cal, at(26, 21, 0))
    assert not rules.may_call(cal, at(28, 10, 0))  # Saturday: a rest day stays closed


def test_national_holiday_is_never_a_calling_day():
    cal = rules.window_calendar(CAL, ["09:00-20:00"])
    assert not rules.may_call(cal, dt.datetime(2026, 10, 2, 10, 0, tzinfo=SH))  # 国庆


def test_no_windows_means_the_calendar_hours():
    assert rules.window_calendar(CAL, []) is CAL


def test_busy_is_retried_after_its_delay_within_the_window():
    cal = rules.window_calendar(CAL, ["09:00-18:00"])
    policy = rules.RetryPolicy(max_attempts=3, retry_minutes={"busy": 5, "no_answer": 30, "failed": 60})
    step = rules.after_attempt(policy, 0, rules.BUSY, at(26, 10, 0), cal)
    assert step == rules.Next("pending", 1, at(26, 10, 5).astimezone(dt.UTC))


def test_a_retry_that_falls_after_the_window_waits_for_the_next_one():
    cal = rules.window_calendar(CAL, ["09:00-18:00"])
    step = rules.after_attempt(rules.RetryPolicy(), 1, rules.NO_ANSWER, at(27, 17, 50), cal)  # Friday
    assert step.state == "pending" and step.attempts == 2
    assert step.next_attempt_at == at(30, 9, 0).astimezone(dt.UTC)  # Monday 09:00, not the weekend


def test_attempts_used_up_fail_the_contact_and_an_answer_finishes_it():
    policy = rules.RetryPolicy(max_attempts=2)
    assert rules.after_attempt(policy, 1, rules.FAILED, at(26, 10), CAL) == rules.Next("failed", 2)
    assert rules.after_attempt(policy, 0, rules.ANSWERED, at(26, 10), CAL) == rules.Next("done", 1)


def test_an_agent_who_missed_the_ring_costs_the_customer_no_attempt():
    step = rules.after_attempt(rules.RetryPolicy(), 1, rules.AGENT_MISSED, at(26, 10), CAL)
    assert step == rules.Next("pending", 1, at(26, 10))


@pytest.mark.parametrize(
    ("status", "cause", "answered", "outcome"),
    [
        ("BUSY", 0, False, "busy"),
        ("NOANSWER", 0, False, "no_answer"),
        ("CHANUNAVAIL", 0, False, "failed"),
        ("", 17, False, "busy"),
        ("", 0, True, "answered"),
        ("", 0, False, "failed"),
    ],
)
def test_outcomes_from_dial_status_and_cause(status, cause, answered, outcome):
    assert rules.outcome_of(status, answered=answered, hangup_cause=cause) == outcome


def test_pacer_limits_calls_in_flight_and_calls_per_second():
    clock = 100.0
    pacer = rules.Pacer(max_in_flight=3, per_second=2, now=clock)
    assert pacer.allowance(clock) == 2  # one second's worth of calls
    pacer.started("a", clock)
    pacer.started("b", clock)
    assert pacer.allowance(clock) == 0
    assert pacer.wait(clock) == pytest.approx(0.5)
    clock += 0.5
    assert pacer.allowance(clock) == 1
    pacer.started("c", clock)
    clock += 5
    assert pacer.allowance(clock) == 0  # three in flight: the cap, however many tokens
    pacer.ended("a")
    assert pacer.allowance(clock) == 1


def test_progressive_dials_one_call_per_ready_agent():
    assert rules.progressive_slots(ready_agents=3, allowance=5) == 3
    assert rules.progressive_slots(ready_agents=3, allowance=1) == 1
    assert rules.progressive_slots(ready_agents=0, allowance=5) == 0


def test_dnc_is_compared_normalised():
    dnc = {"13800138000", "02088886666"}
    assert rules.blocked("+86 138-0013-8000", dnc)
    assert rules.blocked("020-8888 6666", dnc)
    assert not rules.blocked("13900139000", dnc)
    assert rules.blocked("no number", dnc)  # never dial what cannot be read


def test_predictive_dials_ahead_only_as_far_as_the_abandon_cap_allows():
    tally = rules.AbandonTally()
    # no history: one call per ready agent (3 % of one answer allows no abandon)
    assert rules.predictive_slots(4, 0, tally, allowance=100) == 4
    for n in range(100):  # half the calls are answered, none abandoned
        tally.record(answered=n % 2 == 0)
    assert tally.answer_rate == 0.5 and tally.rate == 0.0
    # 1 / 0.5 = 2 calls per agent would be 4 extra, but 3 % of 51 answers allows 1 abandon
    assert rules.predictive_slots(4, 0, tally, allowance=100) == 5
    for _ in range(200):
        tally.record(answered=True)
        tally.record(answered=False)
    # 200 answers in the window: up to 6 abandons; a 2:1 ratio wants 4 extra
    assert tally.answered == 200
    assert rules.predictive_slots(4, 0, tally, allowance=100) == 8
    assert rules.predictive_slots(4, 5, tally, allowance=100) == 3  # calls still ringing count
    assert rules.predictive_slots(4, 0, tally, allowance=2) == 2  # pacing still applies
    assert rules.predictive_slots(0, 0, tally, allowance=100) == 0


def test_predictive_stops_dialing_ahead_once_the_abandon_rate_reaches_the_cap():
    tally = rules.AbandonTally()
    for n in range(100):
        tally.record(answered=True, abandoned=n < 3)
    assert tally.rate == 0.03
    assert rules.predictive_slots(4, 0, tally, allowance=100) == 4  # no headroom left: 1 per agent
    tally.record(answered=True, abandoned=True)
    assert tally.rate > rules.ABANDON_CAP
    assert rules.predictive_slots(4, 1, tally, allowance=100) == 3


def test_the_tally_keeps_a_window_of_live_answers():
    tally = rules.AbandonTally(window=10)
    for _ in range(5):
        tally.record(answered=True, abandoned=True)
    for _ in range(10):
        tally.record(answered=False)
        tally.record(answered=True)
    assert (tally.answered, tally.abandoned) == (10, 0)


def test_a_reversed_window_is_refused_for_its_order_not_its_format():
    rules.check_windows(["09:00-12:00", "14:00-20:00"])
    for windows, reason in [
        (["20:00-09:00"], "order"),  # a window lies within one day: it does not run past midnight
        (["09:00-09:00"], "order"),
        (["9点"], "format"),
        (["09:00"], "format"),
        ("09:00-12:00", "format"),  # a list of windows, not one
        (["09:00-12:00", "11:30-13:00"], "overlap"),  # the dialer's calendar could not be built
    ]:
        with pytest.raises(rules.WindowError) as refused:
            rules.check_windows(windows)
        assert refused.value.reason == reason, windows
