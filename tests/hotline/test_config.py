from pathlib import Path

import pytest

from hotline.cli import _asterisk_environment
from hotline.config import ConfigError, load_settings
from hotline.runtime import database_url


def test_defaults_are_a_working_embedded_setup(tmp_path):
    settings = load_settings(env={"HOTLINE_DATA_DIR": str(tmp_path)})
    assert settings.http_port == 8080 and settings.bus_url == "memory://"
    assert settings.database_url.startswith("sqlite+aiosqlite")
    assert len(settings.secret_key) > 30
    # the generated key is kept, so sessions survive a restart
    assert load_settings(env={"HOTLINE_DATA_DIR": str(tmp_path)}).secret_key == settings.secret_key


def test_environment_overrides_the_file(tmp_path):
    conf = tmp_path / "hotline.yaml"
    conf.write_text("ami_port: 6038\nami_host: 10.0.0.5\n")
    settings = load_settings(conf, env={"HOTLINE_AMI_PORT": "7038", "HOTLINE_DATA_DIR": str(tmp_path)})
    assert settings.ami_port == 7038 and settings.ami_host == "10.0.0.5"
    assert isinstance(settings.asterisk_root, Path)


@pytest.mark.parametrize(
    "content, message",
    [
        ("ami_port: lots\n", "ami_port must be a whole number"),
        ("amiport: 1\n", "unknown setting"),
        ("- 1\n", "mapping"),
        ("fax_lines: 0\n", "fax_lines must be at least 1"),
        ("acw_seconds: -5\n", "acw_seconds must not be negative"),
        ("seat_ring_seconds: 0\n", "seat_ring_seconds must be at least 1"),
        ("cookie_secure: maybe\n", "cookie_secure must be one of auto, yes, no"),
    ],
)
def test_bad_config_is_refused_with_a_clear_message(tmp_path, content, message):
    conf = tmp_path / "hotline.yaml"
    conf.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_settings(conf, env={"HOTLINE_DATA_DIR": str(tmp_path)})


def test_after_call_work_reaches_the_bridge(tmp_path):
    from hotline.runtime import cti_settings

    plain = load_settings(env={"HOTLINE_DATA_DIR": str(tmp_path)})
    assert plain.acw_seconds == 0 and cti_settings(plain).acw_seconds == 0
    settings = load_settings(env={"HOTLINE_DATA_DIR": str(tmp_path), "HOTLINE_ACW_SECONDS": "30"})
    assert cti_settings(settings).acw_seconds == 30.0


def test_the_seats_ring_time_for_click_to_dial_reaches_the_bridge(tmp_path):
    from cti.bridge import CtiBridge
    from cti.bus import InProcessBus
    from hotline.runtime import cti_settings

    assert cti_settings(load_settings(env={"HOTLINE_DATA_DIR": str(tmp_path)})).seat_ring_seconds == 30
    settings = load_settings(env={"HOTLINE_DATA_DIR": str(tmp_path), "HOTLINE_SEAT_RING_SECONDS": "12"})
    bridge = CtiBridge(cti_settings(settings), InProcessBus())
    assert bridge.actions.seat_ring_seconds == 12


def test_the_outbox_sends_as_many_at_once_as_configured(tmp_path):
    from hotline.runtime import _dispatcher
    from ticketing import create_engine, sessionmaker

    settings = load_settings(
        env={"HOTLINE_DATA_DIR": str(tmp_path), "HOTLINE_SMS_CONCURRENCY": "2", "HOTLINE_FAX_LINES": "3"}
    )
    dispatcher = _dispatcher(settings, sessionmaker(create_engine(f"sqlite+aiosqlite:///{tmp_path}/x.db")))
    assert dispatcher.concurrency == {"sms": 2, "email": 4, "fax": 3}


@pytest.mark.parametrize(
    "env, named",
    [
        ({}, "email (HOTLINE_SMTP_HOST) and SMS (HOTLINE_SMS_GATEWAY_URL) not configured"),
        ({"HOTLINE_SMTP_HOST": "127.0.0.1"}, "SMS (HOTLINE_SMS_GATEWAY_URL) not configured"),
        ({"HOTLINE_SMS_GATEWAY_URL": "http://127.0.0.1:9/sms"}, "email (HOTLINE_SMTP_HOST) not configured"),
    ],
)
def test_the_start_names_every_channel_whose_messages_wait_in_the_outbox(tmp_path, caplog, env, named):
    from hotline.runtime import _dispatcher
    from ticketing import create_engine, sessionmaker

    settings = load_settings(env={"HOTLINE_DATA_DIR": str(tmp_path), **env})
    with caplog.at_level("INFO", logger="hotline.runtime"):
        _dispatcher(settings, sessionmaker(create_engine(f"sqlite+aiosqlite:///{tmp_path}/x.db")))
    [said] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("notifications:")]
    assert said == f"notifications: {named}; those messages wait in the outbox"


def test_the_start_says_nothing_is_waiting_when_every_channel_has_its_gateway(tmp_path, caplog):
    from hotline.runtime import _dispatcher
    from ticketing import create_engine, sessionmaker

    env = {"HOTLINE_SMTP_HOST": "127.0.0.1", "HOTLINE_SMS_GATEWAY_URL": "http://127.0.0.1:9/sms"}
    settings = load_settings(env={"HOTLINE_DATA_DIR": str(tmp_path), **env})
    with caplog.at_level("INFO", logger="hotline.runtime"):
        _dispatcher(settings, sessionmaker(create_engine(f"sqlite+aiosqlite:///{tmp_path}/x.db")))
    assert not [r for r in caplog.records if "not configured" in r.getMessage()]


@pytest.mark.parametrize(
    "host, choice, secure",
    [
        ("127.0.0.1", "auto", False),  # the demo on loopback, plain HTTP
        ("0.0.0.0", "auto", True),
        ("127.0.0.1", "yes", True),  # behind nginx's TLS, reached on loopback
        ("0.0.0.0", "no", False),
    ],
)
def test_the_session_cookie_is_secure_unless_served_on_loopback_or_told(tmp_path, host, choice, secure):
    env = {"HOTLINE_DATA_DIR": str(tmp_path), "HOTLINE_HTTP_HOST": host, "HOTLINE_COOKIE_SECURE": choice}
    assert load_settings(env=env).secure_cookies is secure


@pytest.mark.parametrize("relative", [True, False])
def test_a_sqlite_database_gets_its_directory_wherever_the_data_directory_is(tmp_path, monkeypatch, relative):
    # The data directory and the database file are set apart: before, only the data
    # directory was made and the database in another one failed with "unable to open".
    monkeypatch.chdir(tmp_path)
    path = "db/dir/hotline.sqlite3" if relative else str(tmp_path / "abs" / "hotline.sqlite3")
    settings = load_settings(
        env={
            "HOTLINE_DATA_DIR": str(tmp_path / "data"),
            "HOTLINE_DATABASE_URL": f"sqlite+aiosqlite:///{path}",
        }
    )
    assert database_url(settings) == f"sqlite+aiosqlite:///{path}"
    assert (tmp_path / path).parent.is_dir()


def test_the_demo_starts_the_asterisk_its_settings_name(tmp_path):
    # A second Asterisk (its own root and ports) beside the first: the control script
    # fills the ports into the configs from these variables.
    settings = load_settings(
        env={
            "HOTLINE_ASTERISK_ROOT": str(tmp_path / "qa-root"),
            "HOTLINE_AMI_PORT": "5039",
            "HOTLINE_AGI_PORT": "4574",
            "HOTLINE_DATA_DIR": str(tmp_path / "var"),
        }
    )
    env = _asterisk_environment(settings)
    assert (env["HOTLINE_ASTERISK_ROOT"], env["HOTLINE_AMI_PORT"], env["HOTLINE_AGI_PORT"]) == (
        str(tmp_path / "qa-root"),
        "5039",
        "4574",
    )
    # the account the platform signs in to AMI with (test_demo_asterisk_settings: the script
    # writes every @NAME@ of the templates from HOTLINE_NAME)
    assert (env["HOTLINE_AMI_USER"], env["HOTLINE_AMI_SECRET"]) == (settings.ami_user, settings.ami_secret)
