"""Websocket fan-out: how long a wallboard update takes to reach every client.

One trial = a server process (bench/fanout_server.py, one implementation) and
a client process (bench/fanout_clients.py, N light clients), so the server and
the receivers each have a core. The server notes the monotonic time just
before each send; the clients note when the update's bytes reached them
(``CLOCK_MONOTONIC`` is one clock for the whole machine). Per update:

* every delivery's latency (N per update): p50, p99, max;
* the time until the *last* client had it ("reached all"): p50, p99, max.

Rounds rotate the implementations; figures are pooled over rounds.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from bench.figures import median, record, spread, table

IMPLS = ("gateway", "aiohttp", "websockets")
LABELS = {
    "gateway": "ours: agent_ui gateway (aiohttp, queue + writer per tab)",
    "aiohttp": "aiohttp, await send_str per socket in turn",
    "websockets": "websockets 17 broadcast()",
}


def run_trial(impl: str, clients: int, updates: int, interval: float, settle: float = 1.0) -> dict[str, Any]:
    server = subprocess.Popen(
        [
            sys.executable, "-m", "bench.fanout_server", "--impl", impl, "--clients", str(clients),
            "--updates", str(updates), "--interval", str(interval), "--settle", str(settle),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        hello = json.loads(server.stdout.readline())  # type: ignore[union-attr]
        cmd = [
            sys.executable, "-m", "bench.fanout_clients", "--port", str(hello["port"]),
            "--clients", str(clients), "--updates", str(updates),
        ]  # fmt: skip
        if hello["cookie"]:
            cmd += ["--cookie", hello["cookie"]]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if out.returncode != 0:
            raise RuntimeError(f"fan-out clients failed ({impl}):\n{out.stderr[-2000:]}")
        got = json.loads(out.stdout.strip().splitlines()[-1])
        sent_line = server.stdout.readline()  # type: ignore[union-attr]
        sent = json.loads(sent_line)
    finally:
        server.stdin.close()  # type: ignore[union-attr]
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    deliveries: list[float] = []
    reach_all: list[float] = []
    missing = 0
    for n_str, t_sent in sent["sent"].items():
        times = got["received"].get(n_str, [])
        missing += clients - len(times)
        lat = [(t - t_sent) * 1000 for t in times]
        deliveries.extend(lat)
        if len(times) == clients:
            reach_all.append(max(lat))
    return {
        "impl": impl,
        "deliveries_ms": deliveries,
        "reach_all_ms": reach_all,
        "missing": missing,
        "connected": got["connected"],
        "server_cpu_ms_per_update": sent["cpu"] / max(len(sent["sent"]), 1) * 1000,
    }


def run(
    clients: int, updates: int, interval: float, runs: int, impls: list[str], settle: float = 1.0, log=print
) -> str:
    pooled: dict[str, dict[str, list[float]]] = {i: {"d": [], "r": [], "cpu": [], "miss": []} for i in impls}
    for n in range(runs):
        order = impls[n % len(impls) :] + impls[: n % len(impls)]
        for impl in order:
            t = run_trial(impl, clients, updates, interval, settle)
            p = pooled[impl]
            p["d"] += t["deliveries_ms"]
            p["r"] += t["reach_all_ms"]
            p["cpu"].append(t["server_cpu_ms_per_update"])
            p["miss"].append(t["missing"])
            r = spread(t["reach_all_ms"])
            log(
                f"  run {n + 1}/{runs} {impl:<10} reached all {clients}: p50 {r['p50']:.1f} ms, "
                f"p99 {r['p99']:.1f} ms, max {r['max']:.1f} ms; missing {t['missing']}"
            )
    rows = []
    figures: dict[str, Any] = {"clients": clients, "updates": updates, "interval": interval, "runs": runs}
    best = min(impls, key=lambda i: spread(pooled[i]["r"])["p99"])
    for impl in impls:
        p = pooled[impl]
        d, r = spread(p["d"]), spread(p["r"])
        ratio = r["p99"] / spread(pooled[best]["r"])["p99"]
        rows.append(
            [
                LABELS[impl],
                f"{r['p50']:.1f} / {r['p99']:.1f} / {r['max']:.1f}",
                f"{d['p50']:.1f} / {d['p99']:.1f} / {d['max']:.1f}",
                f"{median(p['cpu']):.1f}",
                f"{ratio:.2f}×",
                sum(p["miss"]),
            ]
        )
        figures[impl] = {"reach_all": r, "deliveries": d, "server_cpu_ms_per_update": median(p["cpu"])}
    record("fanout", figures)
    return table(
        f"Websocket fan-out to {clients} clients ({updates} updates × {runs} runs each)",
        [
            "server",
            "reached all: p50 / p99 / max ms",
            "each delivery: p50 / p99 / max ms",
            "server CPU ms/update",
            f"p99 × {best}",
            "lost",
        ],
        rows,
    )
