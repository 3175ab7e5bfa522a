"""Websocket fan-out: how long a wallboard update takes to reach every client.

One trial = a server process (bench/fanout_server.py, one implementation) and
two client processes (bench/fanout_clients.py, N/2 light clients each), so
receiving is spread over both cores like the server's sending can be. The
server notes the monotonic time just before each send; the clients note when
the update's bytes reached them (``CLOCK_MONOTONIC`` is one clock for the
whole machine). Per update:

* every delivery's latency (N per update): p50, p99, max;
* the time until the *last* client had it ("reached all"): p50, p99, max;
* the CPU the server spent per update, and the receivers' (all processes).

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
    "gateway": "ours: agent_ui gateway (aiohttp, one frame written to every socket)",
    "aiohttp": "aiohttp, await send_str per socket in turn",
    "websockets": "websockets 17 broadcast()",
}


def run_trial(
    impl: str, clients: int, updates: int, interval: float, settle: float = 1.0, client_procs: int = 2
) -> dict[str, Any]:
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
        procs = []
        for share in _shares(clients, client_procs):
            cmd = [
                sys.executable, "-m", "bench.fanout_clients", "--port", str(hello["port"]),
                "--clients", str(share), "--updates", str(updates),
            ]  # fmt: skip
            if hello["cookie"]:
                cmd += ["--cookie", hello["cookie"]]
            procs.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        parts = []
        for proc in procs:
            out, err = proc.communicate(timeout=600)
            if proc.returncode != 0:
                raise RuntimeError(f"fan-out clients failed ({impl}):\n{err[-2000:]}")
            parts.append(json.loads(out.strip().splitlines()[-1]))
        sent_line = server.stdout.readline()  # type: ignore[union-attr]
        sent = json.loads(sent_line)
    finally:
        server.stdin.close()  # type: ignore[union-attr]
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    received: dict[str, list[float]] = {}
    for part in parts:
        for n_str, times in part["received"].items():
            received.setdefault(n_str, []).extend(times)
    got = {"received": received, "connected": sum(p["connected"] for p in parts)}
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
        "client_cpu_ms_per_update": sum(p["cpu"] for p in parts) / max(updates, 1) * 1000,
    }


def _shares(clients: int, procs: int) -> list[int]:
    procs = max(1, min(procs, clients))
    return [clients // procs + (i < clients % procs) for i in range(procs)]


def run(
    clients: int,
    updates: int,
    interval: float,
    runs: int,
    impls: list[str],
    settle: float = 1.0,
    log=print,
    client_procs: int = 2,
) -> str:
    pooled: dict[str, dict[str, list[float]]] = {
        i: {"d": [], "r": [], "cpu": [], "ccpu": [], "miss": [], "p99": []} for i in impls
    }
    for n in range(runs):
        order = impls[n % len(impls) :] + impls[: n % len(impls)]
        for impl in order:
            t = run_trial(impl, clients, updates, interval, settle, client_procs)
            p = pooled[impl]
            p["d"] += t["deliveries_ms"]
            p["r"] += t["reach_all_ms"]
            p["cpu"].append(t["server_cpu_ms_per_update"])
            p["ccpu"].append(t["client_cpu_ms_per_update"])
            p["miss"].append(t["missing"])
            r = spread(t["reach_all_ms"])
            p["p99"].append(r["p99"])
            log(
                f"  run {n + 1}/{runs} {impl:<10} reached all {clients}: p50 {r['p50']:.1f} ms, "
                f"p99 {r['p99']:.1f} ms, max {r['max']:.1f} ms; missing {t['missing']}"
            )
    rows = []
    figures: dict[str, Any] = {
        "clients": clients,
        "updates": updates,
        "interval": interval,
        "runs": runs,
        "client_procs": client_procs,
    }
    best = min(impls, key=lambda i: spread(pooled[i]["r"])["p99"])
    for impl in impls:
        p = pooled[impl]
        d, r = spread(p["d"]), spread(p["r"])
        ratio = r["p99"] / spread(pooled[best]["r"])["p99"]
        rows.append(
            [
                LABELS[impl],
                f"{r['p50']:.1f} / {r['p99']:.1f} / {r['max']:.1f}",
                f"{median(p['p99']):.1f} ({min(p['p99']):.1f} – {max(p['p99']):.1f})",
                f"{d['p50']:.1f} / {d['p99']:.1f} / {d['max']:.1f}",
                f"{median(p['cpu']):.1f}",
                f"{median(p['ccpu']):.1f}",
                f"{ratio:.2f}×",
                sum(p["miss"]),
            ]
        )
        figures[impl] = {
            "reach_all": r,
            "reach_all_p99_per_run": p["p99"],
            "deliveries": d,
            "server_cpu_ms_per_update": median(p["cpu"]),
            "client_cpu_ms_per_update": median(p["ccpu"]),
        }
    record("fanout", figures)
    return table(
        f"Websocket fan-out to {clients} clients ({updates} updates × {runs} runs each)",
        [
            "server",
            "reached all: p50 / p99 / max ms",
            "reached all p99 per run: median (range) ms",
            "each delivery: p50 / p99 / max ms",
            "server CPU ms/update",
            "receivers' CPU ms/update",
            f"p99 × {best}",
            "lost",
        ],
        rows,
    )
