"""A few blocking AMI actions for the browser stories (the stories themselves are synchronous)."""

from __future__ import annotations

import itertools
import socket


class AmiLine:
    def __init__(self, asterisk) -> None:
        self.sock = socket.create_connection((asterisk.host, asterisk.port), timeout=10)
        self.buf = b""
        self.ids = itertools.count(1)
        self._read_until(b"\r\n")
        self.action("Login", Username=asterisk.username, Secret=asterisk.secret)

    def _read_until(self, marker: bytes) -> bytes:
        while marker not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:  # Asterisk went away: fail, not spin on the closed line for ever
                raise ConnectionError("AMI closed the connection")
            self.buf += chunk
        head, _, self.buf = self.buf.partition(marker)
        return head

    def action(self, name: str, **fields) -> dict[str, str]:
        ref = f"ui{next(self.ids)}"
        lines = [f"Action: {name}", f"ActionID: {ref}"]
        for key, value in fields.items():
            for v in value if isinstance(value, list) else [value]:
                lines.append(f"{key}: {v}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        while True:
            frame = {}
            for line in self._read_until(b"\r\n\r\n").decode(errors="replace").split("\r\n"):
                key, sep, value = line.partition(": ")
                if sep:
                    frame[key] = value
            if frame.get("ActionID") == ref:
                return frame

    def _frame(self) -> dict[str, str]:
        frame = {}
        for line in self._read_until(b"\r\n\r\n").decode(errors="replace").split("\r\n"):
            key, sep, value = line.partition(": ")
            if sep:
                frame[key] = value
        return frame

    def clear_queue(self, queue: str) -> None:
        """Remove every member of ``queue`` (the console's own queue: leftovers of earlier runs)."""
        ref = f"ui{next(self.ids)}"
        self.sock.sendall(f"Action: QueueStatus\r\nActionID: {ref}\r\nQueue: {queue}\r\n\r\n".encode())
        members = []
        while True:
            frame = self._frame()
            if frame.get("ActionID") != ref:
                continue
            if frame.get("Event") == "QueueMember":
                members.append(frame.get("Location") or frame.get("Interface", ""))
            if frame.get("Event") == "QueueStatusComplete" or frame.get("Response") == "Error":
                break
        for member in members:
            self.action("QueueRemove", Queue=queue, Interface=member)

    def phone(self, ext: str, ring: str, talk: str) -> None:
        self.action("DBPut", Family="hotline-sim", Key=f"ring-{ext}", Val=ring)
        self.action("DBPut", Family="hotline-sim", Key=f"talk-{ext}", Val=talk)

    def call_in(self, queue: str, caller: str, stay: int = 60, ivr_path: str = "") -> None:
        """A caller in ``queue``; ``ivr_path``: the IVR choices it made first (``top:6/faults:1``)."""
        variables = [f"__HOTLINE_QUEUE={queue}"]
        if ivr_path:
            variables.append(f"__HOTLINE_IVR_PATH={ivr_path}")
        self.action(
            "Originate",
            Channel=f"Local/{queue}@hotline-queue/n",
            Context="hotline-sim-caller",
            Exten=f"{stay:02d}",
            Priority=1,
            CallerID=f'"Caller" <{caller}>',
            Variable=variables,
            Async="true",
        )

    def close(self) -> None:
        self.sock.close()
