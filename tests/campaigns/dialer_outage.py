"""The database refusing the dialer's start, for the stories of a dialer that is not running
(the dialer's own retries, the campaigns page in this process and in a web process)."""

from __future__ import annotations

from sqlalchemy.exc import OperationalError

from campaigns import dialer as dialer_module
from campaigns import store


class DialerStartRefused:
    """Every start of a dialer fails on writing the 结果代码 it needs ("db down": the database
    refuses the connection) until ``down`` is set False; ``tries`` counts the attempts. The
    dialer tries again 10 to 20 ms apart instead of its production back-off, so a story sees
    it come up at once."""

    def __init__(self, monkeypatch) -> None:
        self.down = True
        self.tries = 0
        real = store.ensure_dispositions

        async def flaky(session) -> None:
            self.tries += 1
            if self.down:
                raise OperationalError(
                    "INSERT INTO campaign_dispositions", None, ConnectionRefusedError("db down")
                )
            await real(session)

        monkeypatch.setattr(store, "ensure_dispositions", flaky)
        monkeypatch.setattr(dialer_module, "START_RETRY", 0.01, raising=False)
        monkeypatch.setattr(dialer_module, "START_RETRY_MAX", 0.02, raising=False)
