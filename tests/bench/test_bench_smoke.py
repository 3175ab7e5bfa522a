"""Every benchmark still runs end to end, at toy sizes (figures are not checked: no timed tests).

What is checked is what a benchmark must get right whatever the machine: the
capture holds the calls that were made, each consumer saw every replayed
event, every fan-out client got every update, the population has its rows.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import uuid
from pathlib import Path

import pytest

from bench import capture, figures, population, replay
from bench.__main__ import main as bench_main
from bench.ami_ingest import KINDS, run_trial


@pytest.fixture(scope="module")
def captures(tmp_path_factory):
    return tmp_path_factory.mktemp("captures")


@pytest.fixture(autouse=True)
def results_dir(captures, monkeypatch):
    """Figures and SQLite files of these runs go to a temporary directory, not bench/captures: one
    for the module, so that the customer population (migrations and seeds, seconds to build) is
    built once and found by the next benchmark, as in bench/captures. Whichever test comes first
    builds it; each reads the last figures of its own benchmark."""
    monkeypatch.setattr(figures, "CAPTURES", captures)
    return captures


def _results(results_dir, benchmark: str) -> dict:
    lines = (results_dir / "results.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if json.loads(line)["benchmark"] == benchmark][-1]


@pytest.fixture(scope="module")
def tiny_capture(asterisk, tmp_path_factory):
    """A few queued calls recorded from the real Asterisk through the recorder itself."""
    path = tmp_path_factory.mktemp("capture") / "tiny.raw"
    load = capture.Load(agents=2, rate=4, seconds=0.5, talk=1, caller_stays=10, first_ext=3990)
    result = asyncio.run(capture.record(load, path, drain_timeout=20))
    counts = capture.count_events(path.read_bytes())
    assert result.originated == 2 and result.failed_originates == 0
    assert counts["AgentComplete"] >= 2, counts
    return path


def test_replay_makes_ids_unique_per_repetition(tiny_capture, tmp_path):
    frames = replay.frames_of(tiny_capture.read_bytes())
    expanded = replay.expand(tiny_capture, 2 * len(frames) + 3)
    again = replay.frames_of(expanded.read_bytes())
    assert len(again) == 2 * len(frames) + 3
    first = {line for f in again[: len(frames)] for line in f.split(b"\r\n") if line.startswith(b"Linkedid")}
    second = {line for f in again[len(frames) :] for line in f.split(b"\r\n") if line.startswith(b"Linkedid")}
    assert first and second and not first & second


def test_ids_an_originate_chose_are_made_unique_per_repetition_too():
    stream = (
        b"Event: Newchannel\r\nUniqueid: out-3fa2\r\nLinkedid: out-3fa2\r\n\r\n"
        b"Event: Hangup\r\nUniqueid: 1764140000.12\r\nLinkedid: out-3fa2\r\n\r\n"
    )
    assert replay.renamed(stream, 0) == stream
    again = replay.renamed(stream, 2)
    assert again.count(b"out-3fa2-r2\r\n") == 3 and b"out-3fa2\r\n" not in again
    assert b"Uniqueid: 1764140000.20000012\r\n" in again


def test_the_replay_sends_a_filtering_client_only_the_events_it_asked_for(monkeypatch):
    monkeypatch.setattr(replay.Session, "asked", set())
    replies, rest = replay._answers(
        b"Action: Login\r\nActionID: 1\r\n\r\n"
        b"Action: Filter\r\nActionID: 2\r\nOperation: Add\r\nMatchCriteria: name(Hangup)\r\nFilter: \r\n\r\n"
        b"Action: Fil"
    )
    assert replies.count(b"Response: Success") == 2 and rest == b"Action: Fil"
    stream = (
        b"Event: Newchannel\r\nA: 1\r\n\r\nEvent: Hangup\r\nB: 2\r\n\r\nEvent: HangupRequest\r\nC: 3\r\n\r\n"
    )
    assert replay.kept(stream, replay.Session.asked) == b"Event: Hangup\r\nB: 2\r\n\r\n"


@pytest.mark.parametrize("kind", KINDS)
def test_each_ami_consumer_sees_the_whole_replay(tiny_capture, kind):
    trial = run_trial(kind, tiny_capture, 300, timeout=60)  # raises unless all 300 arrived
    assert trial.seconds > 0 and trial.events == 300


def test_ami_command_prints_the_table_with_ratios(tiny_capture, results_dir, capsys):
    code = bench_main(
        ["ami", "--capture", str(tiny_capture), "--events", "500", "--runs", "1", "--pyst2-events", "100",
         "--kinds", "panoramisk,ours-used", "--paced-kinds", "ours-used", "--paced-rate", "2000",
         "--paced-seconds", "0.3", "--paced-runs", "1"]
    )  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert "× panoramisk" in out and "CPU share of one core" in out
    figures_ = _results(results_dir, "ami-ingest")
    assert figures_["throughput"]["panoramisk"]["ratio"] == pytest.approx(1.0)


@pytest.mark.parametrize("consumer", ["bridge", "model", "panoramisk"])
def test_in_process_feeds_the_first_events_of_what_was_prepared(tiny_capture, consumer):
    from bench.bridge_harness import feed_in_process

    run = feed_in_process(
        tiny_capture, 300, model_only=consumer == "model", prepared=900, panoramisk=consumer == "panoramisk"
    )
    got = asyncio.run(run)
    assert 300 <= got["events"] < 900  # whole chunks up to 300 events, not the 900 prepared
    if consumer == "panoramisk":
        assert got["published"] == got["events"]  # its '*' callback saw every frame fed
    else:
        assert got["published"] > 0 and got["calls_open"] <= 2


def test_instructions_per_event_are_the_difference_of_two_runs(
    tiny_capture, results_dir, monkeypatch, capsys
):
    from bench import instructions

    made = {"panoramisk": 100, "bridge": 20}  # instructions per event, and 5,000 of start-up

    def counted(_capture, consumer, events, prepared):
        assert prepared == 2 * 1000
        fed = events + 7  # whole chunks: a little more than asked
        return 5000 + made[consumer] * fed, fed

    monkeypatch.setattr(instructions, "count", counted)
    assert bench_main(["instructions", "--capture", str(tiny_capture), "--events", "1000", "--consumers",
                       "panoramisk,bridge"]) == 0  # fmt: skip
    got = _results(results_dir, "instructions")["consumers"]
    assert got["bridge"]["per_event"] == 20 and got["bridge"]["share_of_peer"] == pytest.approx(0.2)
    assert "5.00×" in capsys.readouterr().out  # panoramisk does five times the work


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind not installed")
def test_instructions_per_order_count_a_trees_own_orders_under_valgrind(results_dir, capsys):
    """The whole path at toy size: a fresh population built by the tree's own code, two runs of
    create_order under valgrind, the round trips counted natively (the figures are not checked).
    The runs differ by 28 orders (~100 M instructions): two orders were within the start-up's own
    run-to-run noise (~16 M of 5.7 G), and the long run came out shorter in CI."""
    root = Path(__file__).resolve().parents[2]
    args = ["instructions", "--orders", "--db", "sqlite", "--customers", "40", "--short", "2", "--long", "30",
            "--tree", str(root)]  # fmt: skip
    assert bench_main(args) == 0
    assert "Instructions per work order" in capsys.readouterr().out
    got = _results(results_dir, "instructions-orders")["dbs"]["sqlite"]
    (short, two), (long, thirty) = got["runs"]["short"], got["runs"]["long"]
    assert (two, thirty) == (2, 30) and long > short > 0
    assert got["trips"] > 0  # an order goes into SQLite's thread at least once


def test_reports_time_both_reports_over_the_month_beside_the_bare_count(results_dir):
    assert bench_main(["reports", "--calls", "60", "--runs", "1", "--db", "sqlite"]) == 0
    got = _results(results_dir, "reports")
    assert got["calls"] == 60
    assert set(got["sqlite"]) >= {"queue_report_s", "agent_report_s", "bare_count_s"}
    assert (results_dir / "reports-60.sqlite3").exists()  # kept for the next run, not in bench/captures


def test_memory_holds_the_calls_in_progress(tiny_capture, results_dir):
    assert bench_main(["memory", "--capture", str(tiny_capture), "--agents", "10", "--calls", "3"]) == 0
    got = _results(results_dir, "memory")
    assert got["open_calls"] == 3 and got["talking_agents"] == 3 and got["agents"] == 10


@pytest.mark.parametrize("split", [False, True], ids=["one-process", "split"])
def test_screenpop_offers_every_call_with_its_customer(asterisk, results_dir, split):
    args = [
        "screenpop",
        "--agents",
        "3",
        "--rate",
        "6",
        "--seconds",
        "0.5",
        "--customers",
        "300",
        "--settle",
        "0.1",
    ]
    assert bench_main(args + (["--split"] if split else [])) == 0
    got = _results(results_dir, "screenpop")
    assert got["calls"] == 3 and got["offered"] == 3 and got["matched"] == 3 and got["split"] is split


def test_capacity_accounts_for_every_call(asterisk, results_dir):
    assert (
        bench_main(["capacity", "--agents", "3", "--rates", "4", "--seconds", "0.5", "--replay-rates", ""])
        == 0
    )
    step = _results(results_dir, "capacity")["steps"][0]
    assert step["originated"] == 2 and step["ended"] == 2 and step["answered"] == 2
    assert step["asterisk_ms_per_call"] > 0 and step["limit"]


def test_capacity_replays_the_stream_with_fresh_timestamps(tiny_capture, results_dir):
    args = [
        "capacity",
        "--rates",
        "",
        "--replay-rates",
        "20",
        "--seconds",
        "1",
        "--capture",
        str(tiny_capture),
    ]
    assert bench_main(args) == 0
    got = _results(results_dir, "capacity-replayed")["steps"][0]
    assert got["events"] > 0 and got["lag_ms"]["n"] > 0
    # The capture was recorded minutes ago: only restamped events can show a lag under a minute.
    assert got["lag_ms"]["max"] < 60_000


def test_fanout_reaches_every_client_with_each_server(results_dir, capsys):
    assert (
        bench_main(
            [
                "fanout",
                "--clients",
                "15",
                "--updates",
                "3",
                "--interval",
                "0.05",
                "--runs",
                "1",
                "--settle",
                "0.1",
                "--client-procs",
                "1",
            ]
        )
        == 0
    )
    assert "Websocket fan-out to 15 clients" in capsys.readouterr().out
    got = _results(results_dir, "fanout")
    for impl in ("gateway", "aiohttp", "websockets"):
        assert got[impl]["deliveries"]["n"] == 15 * 3


def test_lookup_and_orders_on_sqlite(results_dir, capsys):
    args = ["--customers", "300", "--db", "sqlite", "--seconds", "0.2", "--warmup", "0.1", "--runs", "1",
            "--concurrency", "2"]  # fmt: skip
    assert bench_main(["lookup", *args]) == 0
    assert bench_main(["orders", *args]) == 0
    out = capsys.readouterr().out
    assert "Lookups by phone" in out and "Work orders created" in out
    con = sqlite3.connect(population.sqlite_path(300))
    try:
        assert con.execute("SELECT count(*) FROM customer_phones").fetchone()[0] == 900
        phones = {n for (n,) in con.execute("SELECT number FROM customer_phones WHERE customer_id = 7")}
        assert phones == {population.mobile(7), population.mobile2(7), population.landline(7)}
        assert con.execute("SELECT count(*) FROM work_orders").fetchone()[0] > 0
        # The indexes dropped for the bulk load are back.
        names = {n for (n,) in con.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        assert "ix_customer_phones_number" in names
    finally:
        con.close()


@pytest.mark.postgres
def test_lookup_and_orders_on_postgres(monkeypatch, capsys):
    import asyncpg

    name = f"hotline_bench_t_{uuid.uuid4().hex[:8]}"
    monkeypatch.setattr(population, "PG_BENCH", f"postgresql://postgres@127.0.0.1:5432/{name}")
    try:
        args = [
            "--customers",
            "300",
            "--db",
            "postgres",
            "--seconds",
            "0.2",
            "--warmup",
            "0.1",
            "--runs",
            "1",
            "--concurrency",
            "2",
        ]
        assert bench_main(["lookup", *args]) == 0
        assert bench_main(["orders", *args]) == 0
        assert "postgres" in capsys.readouterr().out
    finally:

        async def drop() -> None:
            con = await asyncpg.connect(population.PG_ADMIN)
            try:
                await con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await con.close()

        asyncio.run(drop())
