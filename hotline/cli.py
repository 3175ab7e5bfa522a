"""The ``hotline`` command.

hotline serve      run the whole platform in one process (web console, CTI
                   bridge, FastAGI/IVR server, SLA worker)
hotline serve --role web|cti|ivr|worker[,…] [--server NAME[,…]]
                   run some of it, in one of several processes sharing Redis
                   and PostgreSQL (docs/architecture.md, "Processes"); with
                   several Asterisk servers (asterisk_servers), a cti process
                   bridges all of them, or those --server names
hotline demo       provision and start the project's Asterisk, seed demo
                   agents and customers, run everything with simulated
                   callers; Ctrl-C stops all it started, Asterisk included
                   (one already running is used as it is when its configs
                   carry the demo's settings, and refused otherwise)
hotline migrate    bring the database schema up to date
hotline seed       load the default categories and workflows (and, with
                   --demo, demo users and customers)
hotline add-user STAFF_NO NAME --role admin
                   create a user (the first admin, on a new installation) and
                   print a temporary password, to be changed at first sign-in
hotline purge-recordings --days N
                   delete recordings, voicemail, faxes and e-mail attachments
                   older than N days, except those of calls and e-mails linked
                   to open work orders
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

from hotline.asterisk_control import OWNER_ENV, started_asterisk
from hotline.config import ConfigError, Settings, load_settings
from recordings.store import KINDS
from ticketing.models import ROLES

REPO = Path(__file__).resolve().parent.parent
ASTERISK_CONTROL = REPO / "deploy" / "asterisk" / "hotline-asterisk"
#: the control script's status when an Asterisk already runs with other settings than the start's
RUNS_WITH_OTHER_SETTINGS = 4
log = logging.getLogger("hotline")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hotline",
        description="Hotline: a telephony-integrated contact-center platform for service hotlines.",
        epilog="Settings come from HOTLINE_* environment variables or the YAML file named by --config "
        "(keys: http_host, http_port, ami_host, ami_port, ami_user, ami_secret, asterisk_root, "
        "database_url, bus_url, agi_host, agi_port, data_dir, routing_file, hotline_number, "
        "asterisk_servers (several Asterisk servers and their agents; secrets in "
        "HOTLINE_AMI_SECRET_<NAME>), ...).",
    )
    parser.add_argument("--config", help="YAML settings file (default: $HOTLINE_CONFIG)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = sub.add_parser(
        "serve", help="run the web console, CTI bridge, IVR server and worker (all, or some: --role)"
    )
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="HTTP port (default 8080)")
    serve.add_argument(
        "--role",
        default="all",
        help="all (default: everything in this one process), or a comma-separated set of: "
        "web (console and websockets; run N behind nginx), cti (the CTI bridge and the dialer; "
        "one per Asterisk is active, others wait as standby), ivr (the FastAGI server), "
        "worker (SLA timers, notifications, call linking). Needs bus_url redis://… and a "
        "PostgreSQL database_url. With several Asterisk servers (asterisk_servers) each has its "
        "bridge: --role all runs one per server in its process",
    )
    serve.add_argument(
        "--server",
        help="with --role cti and several Asterisk servers (asterisk_servers): the comma-separated "
        "names of those this process bridges (default: every one; each server has one active bridge, "
        "others wait as its standby)",
    )
    demo = sub.add_parser(
        "demo", help="start Asterisk and everything else with demo data and simulated callers"
    )
    demo.add_argument(
        "--calls-per-minute", type=float, default=6.0, help="simulated inbound calls (default 6/min)"
    )
    demo.add_argument("--no-simulator", action="store_true", help="do not place simulated calls")
    sub.add_parser("migrate", help="bring the database schema up to date")
    seed = sub.add_parser("seed", help="load default categories and workflows")
    seed.add_argument("--demo", action="store_true", help="also create demo users and customers")
    add_user = sub.add_parser(
        "add-user",
        help="create a user (the first admin of a new installation) with a temporary password",
        description="Create a user and print a temporary password, which they must change at the "
        "first sign-in. Further users are best added by an admin in the console (账号管理).",
    )
    add_user.add_argument("staff_no", help="工号: 4 to 6 digits")
    add_user.add_argument("name", help="the person's name")
    add_user.add_argument(
        "--role",
        action="append",
        choices=ROLES,
        required=True,
        help="a role (repeatable): " + ", ".join(ROLES),
    )
    purge = sub.add_parser(
        "purge-recordings",
        help="delete recordings, voicemail, faxes and e-mail attachments older than N days "
        "(not those open work orders link)",
        description="Delete recordings, voicemail and faxes (under the Asterisk root) and the "
        "attachments of inbound e-mails (under <data_dir>/mail) older than N days, except those of "
        "calls and e-mails an open work order links. A purged attachment stays listed on its inbox "
        "event, marked as deleted.",
    )
    purge.add_argument("--days", type=float, required=True, help="retention period in days")
    purge.add_argument("--dry-run", action="store_true", help="only list what would be deleted")
    purge.add_argument(
        "--kind",
        action="append",
        choices=sorted([*KINDS, "mail"]),
        help="recording, voicemail, fax or mail (e-mail attachments) (repeatable; default all)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(f"hotline: {exc}", file=sys.stderr)
        return 2
    if getattr(args, "host", None) or getattr(args, "port", None):
        import dataclasses

        settings = dataclasses.replace(
            settings, http_host=args.host or settings.http_host, http_port=args.port or settings.http_port
        )
    if args.command == "migrate":
        from hotline.runtime import migrate

        asyncio.run(migrate(settings))
        return 0
    if args.command == "seed":
        from hotline.runtime import seed

        asyncio.run(seed(settings, demo=args.demo))
        return 0
    if args.command == "add-user":
        return _add_user(settings, args)
    if args.command == "purge-recordings":
        return _purge(settings, args)
    if args.command == "serve":
        return _serve(settings, args.role, args.server)
    if args.command == "demo":
        return _demo(settings, args)
    return 2


def _add_user(settings: Settings, args: argparse.Namespace) -> int:
    from hotline.runtime import add_user
    from ticketing.errors import FieldErrors

    try:
        password = asyncio.run(add_user(settings, args.staff_no, args.name, args.role))
    except FieldErrors as exc:
        for field, problem in exc.problems.items():
            print(f"hotline: {field}: {problem}", file=sys.stderr)
        return 2
    print(f"created {args.staff_no} {args.name} ({', '.join(args.role)})")
    print(f"temporary password: {password}  (to be changed at the first sign-in)")
    return 0


def _purge(settings: Settings, args: argparse.Namespace) -> int:
    from hotline.retention import PURGE_KINDS, purge_recordings

    if args.days <= 0:
        print("hotline: --days must be positive", file=sys.stderr)
        return 2
    report = asyncio.run(
        purge_recordings(settings, args.days, kinds=args.kind or PURGE_KINDS, dry_run=args.dry_run)
    )
    verb = "would delete" if args.dry_run else "deleted"
    for path in report.deleted:
        print(f"{verb} {path}")
    for path in report.kept:
        print(f"kept {path} (linked to an open work order)")
    for path, reason in report.failed:
        print(f"FAILED {path}: {reason}", file=sys.stderr)
    print(f"{verb} {len(report.deleted)} file(s), {report.bytes_freed} bytes; kept {len(report.kept)}")
    return 1 if report.failed else 0


def _serve(settings: Settings, role: str, server: str | None = None) -> int:
    from hotline.runtime import check_roles, parse_roles

    bridged = None if server is None else frozenset(n.strip() for n in server.split(",") if n.strip())
    try:
        roles = parse_roles(role)
        check_roles(settings, roles, bridged)
    except ValueError as exc:  # a bad --role, or settings that cannot carry those roles (ConfigError)
        print(f"hotline: {exc}", file=sys.stderr)
        return 2
    return _run(settings, demo=False, roles=roles, bridged=bridged)


def _run(
    settings: Settings,
    *,
    demo: bool,
    calls_per_minute: float = 0.0,
    roles: frozenset[str] | None = None,
    bridged: frozenset[str] | None = None,
) -> int:
    from hotline.runtime import EMBEDDED, serve

    async def runner() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve(
            settings,
            stop,
            demo=demo,
            calls_per_minute=calls_per_minute,
            roles=roles or EMBEDDED,
            bridged=bridged,
        )

    asyncio.run(runner())
    return 0


def _asterisk_environment(settings: Settings) -> dict[str, str]:
    """The control script's environment: the Asterisk these settings talk to, on their ports,
    with the AMI account they sign in with, asking the demo's own AGI server for each call's
    route (the SIP port and secret, and where SIP and AMI listen and whom AMI lets in, which the
    platform does not set, come from the environment, as the script's own: loopback unless given)."""
    return {
        **os.environ,
        "HOTLINE_ASTERISK_ROOT": str(settings.asterisk_root),
        "HOTLINE_AMI_PORT": str(settings.ami_port),
        "HOTLINE_AGI_HOST": _agi_address(settings.agi_host),
        "HOTLINE_AGI_PORT": str(settings.agi_port),
        "HOTLINE_AMI_USER": settings.ami_user,
        "HOTLINE_AMI_SECRET": settings.ami_secret,
    }


def _agi_address(listen_host: str) -> str:
    """Where the demo's Asterisk, on this machine, reaches an AGI server listening on
    ``listen_host``: that address, or loopback when it listens on every one (0.0.0.0, which the
    script refuses as an address to connect to)."""
    return "127.0.0.1" if listen_host in ("", "0.0.0.0") else listen_host


def _demo(settings: Settings, args: argparse.Namespace) -> int:
    if len(settings.servers) > 1:
        print("hotline: the demo runs one Asterisk; asterisk_servers lists several", file=sys.stderr)
        return 2
    env = _asterisk_environment(settings)
    # The control script writes this token beside the pid only when this start launches an
    # Asterisk: one that already runs (the tests', another clone's, one started by hand) is not
    # the demo's, even if it came up between a status check and the start.
    env[OWNER_ENV] = uuid.uuid4().hex
    # One already running is used as it is, never reconfigured under its owner (the tests, another
    # clone's demo): the script refuses when its configs were written with other settings.
    result = subprocess.run([str(ASTERISK_CONTROL), "start", "--use-running"], text=True, env=env)
    if result.returncode == RUNS_WITH_OTHER_SETTINGS:
        print(
            f"hotline: the demo does not reconfigure an Asterisk it did not start. Stop the one under "
            f"{settings.asterisk_root} (HOTLINE_ASTERISK_ROOT={settings.asterisk_root} "
            f"{ASTERISK_CONTROL} stop) if no one else uses it; or run the demo with its settings (the "
            "HOTLINE_* variables above, each set to its installed value); or give the demo an "
            "Asterisk root and ports of its own (README.md, section Asterisk).",
            file=sys.stderr,
        )
        return 1
    if result.returncode != 0:
        print("hotline: could not start Asterisk (see above)", file=sys.stderr)
        return 1
    ours = started_asterisk(settings.asterisk_root, env[OWNER_ENV])
    try:
        print(
            f"Hotline demo: open http://{settings.http_host}:{settings.http_port}  (Ctrl-C stops everything)"
        )
        return _run(settings, demo=True, calls_per_minute=0.0 if args.no_simulator else args.calls_per_minute)
    finally:
        # An Asterisk that ran before the demo (ours is None) is left running.
        if ours is not None and started_asterisk(settings.asterisk_root, ours.token) == ours:
            subprocess.run([str(ASTERISK_CONTROL), "stop"], text=True, env=env)
        elif ours is not None:
            # Stopped, or stopped and started again, meanwhile (by the script or by hand): what
            # runs now is someone else's, and whoever started it stops it.
            print(
                f"hotline: the Asterisk the demo started (pid {ours.pid}) is no longer running; "
                "any Asterisk running now was started by someone else and is left running",
                file=sys.stderr,
            )


if __name__ == "__main__":
    sys.exit(main())
