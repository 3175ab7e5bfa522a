"""Several Asterisk servers: each records its calls on its own disk (MixMonitor), which this
machine sees under the server's ``asterisk_root`` (asterisk_servers). A call's recording is
played from the server its call id's systemname names, and a server whose files are not
mounted here answers 503 ``recordings.server_unreachable`` naming it, not a 500 or a 404."""

from __future__ import annotations

from agent_ui.texts import Texts
from cti.call_events import CallEnded
from hotline.config import load_settings
from hotline.runtime import recording_store
from recordings import ServerStores
from tests.agent_ui.conftest import login
from tests.agent_ui.test_reports import t
from tests.recordings.conftest import write_wav
from ticketing.calls import CallLinker

GZ_CALL, SZ_CALL, BJ_CALL = "hotline1-1795813058.15", "hotline2-1795813058.15", "hotline3-1795813070.2"


def _settings(tmp_path):
    servers = (
        f"[{{name: gz, ami_host: 10.0.0.1, default: true, system_name: hotline1, asterisk_root: {tmp_path}/gz}},"
        f" {{name: sz, ami_host: 10.0.0.2, agents: ['52*'], system_name: hotline2, asterisk_root: {tmp_path}/sz}},"
        f" {{name: bj, ami_host: 10.0.0.3, agents: ['53*'], system_name: hotline3, asterisk_root: {tmp_path}/bj}}]"
    )
    return load_settings(
        env={
            "HOTLINE_ASTERISK_SERVERS": servers,
            "HOTLINE_ASTERISK_ROOT": str(tmp_path / "gz"),
            "HOTLINE_DATA_DIR": str(tmp_path / "var"),
        }
    )


def _record(store, server: str, call_id: str, seconds: float) -> None:
    own = dict((name, st) for name, _, st in store.servers)[server]
    write_wav(own.host_path(own.asterisk_path("recording", call_id)), seconds=seconds)


def test_each_servers_recordings_are_looked_for_under_its_own_root(tmp_path):
    store = recording_store(_settings(tmp_path))
    assert isinstance(store, ServerStores)
    _record(store, "gz", GZ_CALL, 1.0)
    _record(store, "sz", SZ_CALL, 2.0)
    # the same <epoch>.<n> on both servers: only the systemname tells the calls apart
    [gz] = store.find(GZ_CALL)
    [sz] = store.find(SZ_CALL)
    assert gz.is_relative_to(tmp_path / "gz") and sz.is_relative_to(tmp_path / "sz")
    assert store.server_of("1795813058.15")[0] == "gz"  # no systemname: the default server's
    assert {f.call_id for f in store.files("recording")} == {GZ_CALL, SZ_CALL}


async def test_a_recording_is_played_from_the_server_that_made_it(tmp_path, world, aiohttp_client):
    from agent_ui.app import create_app

    store = recording_store(_settings(tmp_path))
    world.services.recordings = store
    client = await aiohttp_client(create_app(world.services))
    _record(store, "gz", GZ_CALL, 1.0)
    _record(store, "sz", SZ_CALL, 2.0)
    linker = CallLinker(world.services.sessionmaker)
    for call_id in (GZ_CALL, SZ_CALL, BJ_CALL):
        await linker.handle(
            CallEnded(
                call_id=call_id,
                direction="inbound",
                outcome="answered",
                caller="13000000410",
                agent_id="1001",
                started_at=t("08:20:00"),
                answered_at=t("08:20:05"),
                ended_at=t("08:20:40"),
                recording=store.asterisk_path("recording", call_id),
            )
        )
    await login(client, "3001")
    for call_id, seconds in ((GZ_CALL, 1.0), (SZ_CALL, 2.0)):
        resp = await client.get(f"/recordings/recording/{call_id}")
        assert resp.status == 200, await resp.text()
        assert len(await resp.read()) == 44 + int(seconds * 8000) * 2  # that server's own file
        peaks = await (await client.get(f"/recordings/recording/{call_id}/peaks")).json()
        assert peaks["duration"] == seconds
        assert (await client.get(f"/recordings/recording/{call_id}/play")).status == 200

    # bj's directories are not mounted here: said so, with its name, for every way of asking
    for suffix in ("", "/play", "/peaks"):
        resp = await client.get(f"/recordings/recording/{BJ_CALL}{suffix}")
        assert resp.status == 503, suffix
        body = await resp.json()
        assert body["error_id"] == "recordings.server_unreachable"
        assert body["details"] == {"server": "bj"} and "bj" in body["message"]
    # in the user's words, naming the server
    said = Texts().error("zh-CN", body["error_id"], details=body["details"])
    assert said.startswith("电话服务器（bj）的录音目录未挂载"), said


def test_retention_purges_every_reachable_servers_recordings(tmp_path, caplog):
    import os

    from recordings import purge

    store = recording_store(_settings(tmp_path))
    _record(store, "gz", GZ_CALL, 0.1)
    _record(store, "sz", SZ_CALL, 0.1)
    old = 1_000_000_000.0
    for path in (*store.find(GZ_CALL), *store.find(SZ_CALL)):
        os.utime(path, (old, old))
    report = purge(store, 30, kinds=("recording",))
    assert {p.relative_to(tmp_path).parts[0] for p in report.deleted} == {"gz", "sz"}
    assert store.find(GZ_CALL) == [] and store.find(SZ_CALL) == []
    assert "Asterisk server bj" in caplog.text  # not mounted: said, and nothing of it touched
