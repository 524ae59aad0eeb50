"""Settings are read once, at start: each value that cannot work stops `circles` with one line that
names the variable and what it needs, exit status 2, and no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from bots import cli
from bots.settings import Settings, SettingsError

SIGNED = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "secret"}


def problems(env: dict[str, str]) -> list[str]:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(env)
    return raised.value.problems


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET is not set: Slack's HTTP mode"),
        ({"SLACK_CLIENT_ID": "1.2", "SLACK_SIGNING_SECRET": "s"}, "SLACK_CLIENT_SECRET is not set but SLACK_CLIENT_ID"),
        (
            {"SLACK_CLIENT_SECRET": "s", "SLACK_SIGNING_SECRET": "s"},
            "SLACK_CLIENT_ID is not set but SLACK_CLIENT_SECRET",
        ),
        ({"SLACK_APP_TOKEN": "xapp-1"}, "SLACK_APP_TOKEN set but SLACK_BOT_TOKEN is not"),
        ({**SIGNED, "SLACK_BOT_TOKEN": "xapp-swapped"}, "SLACK_BOT_TOKEN must be the Bot User OAuth Token"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-2"}, "SLACK_APP_TOKEN must be an App-Level Token"),
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL is not a database address"),
        ({"DATABASE_URL": "mysql://u:pw@db/circles"}, "DATABASE_URL names a mysql database"),
        ({"DATABASE_URL": "postgresql+asyncpg://db/circles"}, "DATABASE_URL asks for the driver asyncpg"),
        ({"DATABASE_URL": "postgresql:///circles"}, "DATABASE_URL has no host"),
        ({"CIRCLES_PORT": "eighty"}, "CIRCLES_PORT must be a port number from 1 to 65535 (got 'eighty')"),
        ({"CIRCLES_PORT": "70000"}, "CIRCLES_PORT must be a port number from 1 to 65535 (got '70000')"),
        ({"PORT": "-1"}, "PORT must be a port number"),
        ({"CIRCLES_METRICS_PORT": "0"}, "CIRCLES_METRICS_PORT must be a port number"),
        ({"CIRCLES_LOG_FORMAT": "xml"}, "CIRCLES_LOG_FORMAT must be one of text or json"),
        ({"DISCORD_TOKEN": "t", "DISCORD_MESSAGE_CONTENT": "maybe"}, "DISCORD_MESSAGE_CONTENT must be 1 or 0"),
        ({"DISCORD_TOKEN": "t", "DISCORD_API_URL": "discord.local"}, "DISCORD_API_URL must be an http(s)://"),
        ({"CIRCLES_HOST": "my host"}, "CIRCLES_HOST must be an address to listen on"),
    ],
)
def test_each_bad_setting_is_one_line_naming_its_variable(env: dict[str, str], expected: str) -> None:
    [line] = problems(env)
    assert line.startswith(expected), line
    assert "\n" not in line


def test_a_password_in_a_bad_database_url_is_never_repeated() -> None:
    [line] = problems({"DATABASE_URL": "mysql://admin:hunter2@db/circles"})
    assert "hunter2" not in line


def test_every_problem_is_named_at_once() -> None:
    found = problems({"CIRCLES_PORT": "x", "CIRCLES_LOG_FORMAT": "yaml", "DATABASE_URL": "nope"})
    assert sorted(line.split()[0] for line in found) == ["CIRCLES_LOG_FORMAT", "CIRCLES_PORT", "DATABASE_URL"]


def test_good_settings_are_typed_and_normalised() -> None:
    settings = Settings.from_env(
        {
            **SIGNED,
            "DATABASE_URL": "postgresql://circles:pw@db:5432/circles",
            "PORT": "8080",
            "CIRCLES_METRICS_PORT": "9100",
            "CIRCLES_LOG_FORMAT": "JSON",
            "DISCORD_TOKEN": "t",
            "DISCORD_MESSAGE_CONTENT": "yes",
            "SLACK_APP_TOKEN": "",  # empty is unset: HTTP mode
            "UNRELATED": "ignored",
        }
    )
    assert settings.database_url == "postgresql+psycopg://circles:pw@db:5432/circles"
    assert (settings.port, settings.metrics_port, settings.log_format) == (8080, 9100, "json")
    assert settings.discord_message_content is True
    assert settings.slack_http_mode
    assert settings.wants_slack
    assert settings.wants_discord
    defaults = Settings.from_env({})
    assert (defaults.host, defaults.port, defaults.database_url) == (
        "127.0.0.1",
        8000,
        "sqlite+aiosqlite:///var/circles.sqlite3",
    )
    assert not defaults.wants_slack
    assert not defaults.wants_discord


def test_socket_mode_needs_no_signing_secret() -> None:
    settings = Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"})
    assert settings.wants_slack
    assert not settings.slack_http_mode


def test_the_environment_wins_over_the_dotenv_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("# local settings\nCIRCLES_PORT=8123\nCIRCLES_LOG_FORMAT=json\nSOMETHING_ELSE=1\n")
    monkeypatch.setenv("CIRCLES_LOG_FORMAT", "text")
    monkeypatch.setenv("HOST", "example.org")  # a common variable that is not ours
    monkeypatch.delenv("CIRCLES_PORT", raising=False)
    monkeypatch.delenv("PORT", raising=False)
    monkeypatch.delenv("CIRCLES_HOST", raising=False)
    settings = Settings.from_env(dotenv=dotenv)
    assert (settings.port, settings.log_format, settings.host) == (8123, "text", "127.0.0.1")


def test_built_directly_settings_read_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-exported-by-a-developer")
    assert Settings(database_url="sqlite:///x.sqlite3").slack_bot_token is None
    assert Settings.from_env({}).slack_bot_token is None


@pytest.mark.parametrize("command", ["run", "demo", "migrate", "form"])
def test_circles_stops_with_one_line_and_status_2(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    assert cli.main([command]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    [line] = err.strip().splitlines()
    assert line.startswith("circles: SLACK_SIGNING_SECRET is not set")
    assert not (tmp_path / "var").exists()  # stopped before anything was created
