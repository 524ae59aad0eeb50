"""The one typed settings object, read from the environment (and a `.env` file when there is one)
and validated once, at start.

A value that cannot work stops the start with one line naming the variable and what it needs
(`SettingsError`), instead of a process that starts and then fails every request, or a traceback.
Nothing else in the project reads the environment: every part receives this object.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from core.db import DEFAULT_DATABASE_URL, async_url

DOTENV = Path(".env")
PORTS = range(1, 65536)
# The drivers this project installs; a URL naming another would fail at the first connection.
DRIVERS = {"postgresql": {"", "psycopg"}, "postgres": {"", "psycopg"}, "sqlite": {"", "aiosqlite", "pysqlite"}}
TRUE, FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


class SettingsError(Exception):
    """Settings that cannot work: one line per problem, each naming its variable."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _env(*names: str) -> Any:
    return AliasChoices(*names) if len(names) > 1 else names[0]


class Settings(BaseSettings):
    """Everything the process is told from outside, read once. Built directly (tests), from a
    mapping (`from_env(env)`), or from the environment and `.env` (`from_env()`)."""

    model_config = SettingsConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    database_url: str = Field(DEFAULT_DATABASE_URL, validation_alias=_env("DATABASE_URL"))
    slack_bot_token: str | None = Field(None, validation_alias=_env("SLACK_BOT_TOKEN"))
    slack_app_token: str | None = Field(None, validation_alias=_env("SLACK_APP_TOKEN"))
    slack_signing_secret: str | None = Field(None, validation_alias=_env("SLACK_SIGNING_SECRET"))
    slack_client_id: str | None = Field(None, validation_alias=_env("SLACK_CLIENT_ID"))
    slack_client_secret: str | None = Field(None, validation_alias=_env("SLACK_CLIENT_SECRET"))
    slack_api_url: str | None = Field(None, validation_alias=_env("SLACK_API_URL"))
    discord_token: str | None = Field(None, validation_alias=_env("DISCORD_TOKEN"))
    discord_api_url: str | None = Field(None, validation_alias=_env("DISCORD_API_URL"))
    discord_gateway_url: str | None = Field(None, validation_alias=_env("DISCORD_GATEWAY_URL"))
    # read round-thread replies: needs the privileged Message Content intent
    discord_message_content: bool = Field(False, validation_alias=_env("DISCORD_MESSAGE_CONTENT"))
    host: str = Field("127.0.0.1", validation_alias=_env("CIRCLES_HOST"))
    port: int = Field(8000, validation_alias=_env("CIRCLES_PORT", "PORT"))
    # where /healthz, /readyz and /metrics are served when the mode has no HTTP server of its own
    # (Socket Mode, Discord), or apart from the public port in Slack HTTP mode; default: `port`
    metrics_port: int | None = Field(None, validation_alias=_env("CIRCLES_METRICS_PORT"))
    # seals Slack installation tokens at rest (Fernet); without it they are stored in plain text
    secret_key: str | None = Field(None, validation_alias=_env("CIRCLES_SECRET_KEY"))
    log_format: Literal["text", "json"] = Field("text", validation_alias=_env("CIRCLES_LOG_FORMAT"))
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", validation_alias=_env("CIRCLES_LOG_LEVEL"))

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Built directly, settings take only what they are given: tests never pick up a developer's
        exported tokens. `from_env()` reads the environment through `_Environment`."""
        return (init_settings,)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, dotenv: Path | None = DOTENV) -> Settings:
        """The process's settings: `env` when given (tests), else the environment, then `dotenv`
        for what the environment leaves unset. Empty values count as unset. Raises `SettingsError`."""
        try:
            if env is None:
                dotenv_file = dotenv if dotenv is not None and dotenv.is_file() else None
                return _Environment(_env_file=dotenv_file)  # type: ignore[call-arg]  # pydantic-settings' own keyword
            return cls.model_validate({name: value for name, value in env.items() if value != ""})
        except ValidationError as error:
            raise SettingsError(_problems(error)) from None

    def replaced(self, **changes: object) -> Settings:
        """These settings with some values from the command line (`--port`, `--host`), checked like the rest."""
        try:
            return Settings.model_validate({**self.model_dump(), **changes})
        except ValidationError as error:
            raise SettingsError(_problems(error)) from None

    @property
    def wants_slack(self) -> bool:
        return bool(self.slack_bot_token or self.slack_client_id)

    @property
    def wants_discord(self) -> bool:
        return bool(self.discord_token)

    @property
    def slack_http_mode(self) -> bool:
        """Slack sends its requests to our HTTP server (no SLACK_APP_TOKEN: no Socket Mode)."""
        return self.wants_slack and not self.slack_app_token

    @field_validator("database_url", mode="before")
    @classmethod
    def _database_address(cls, value: object) -> str:
        text = str(value).strip()
        needs = "use postgresql://USER:PASSWORD@HOST:5432/DATABASE, or leave it unset for the SQLite file in var/"
        try:
            parsed = make_url(text)
            backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
        except (ArgumentError, ValueError):  # the value itself may hold a password: never echoed
            raise ValueError(f"is not a database address: {needs}") from None
        if backend not in DRIVERS:
            raise ValueError(f"names a {backend} database, which Peer Circles does not run on: {needs}")
        if "+" in parsed.drivername and driver not in DRIVERS[backend]:
            raise ValueError(f"asks for the driver {driver}, which is not installed: {needs}")
        if backend != "sqlite" and not parsed.host:
            raise ValueError(f"has no host: {needs}")
        return async_url(text)

    @field_validator("port", "metrics_port", mode="before")
    @classmethod
    def _port_number(cls, value: object) -> int | None:
        if value is None:
            return None
        text = str(value).strip()
        if not text.isdigit() or int(text) not in PORTS:
            raise ValueError(f"must be a port number from 1 to 65535 (got '{text[:20]}')")
        return int(text)

    @field_validator("discord_message_content", mode="before")
    @classmethod
    def _switch(cls, value: object) -> bool:
        text = str(value).strip().lower()
        if text not in TRUE | FALSE:
            raise ValueError(f"must be 1 or 0 (true/false, yes/no; got '{text[:20]}')")
        return text in TRUE

    @field_validator("log_format", "log_level", mode="before")
    @classmethod
    def _word(cls, value: object, info: Any) -> str:
        text = str(value).strip()
        return text.upper() if info.field_name == "log_level" else text.lower()

    @field_validator("slack_api_url", "discord_api_url", "discord_gateway_url", mode="before")
    @classmethod
    def _web_address(cls, value: object) -> str | None:
        if value is None:
            return None
        text = str(value).strip()
        if not text.startswith(("http://", "https://", "ws://", "wss://")):
            raise ValueError(f"must be an http(s):// or ws(s):// address (got '{text[:40]}')")
        return text

    @field_validator("host", mode="before")
    @classmethod
    def _host_name(cls, value: object) -> str:
        text = str(value).strip()
        if not text or any(c.isspace() or c in "/@" for c in text):
            raise ValueError(f"must be an address to listen on, such as 127.0.0.1 or 0.0.0.0 (got '{text[:40]}')")
        return text

    @model_validator(mode="after")
    def _modes_fit_together(self) -> Settings:
        problems = _mode_problems(self)
        if problems:
            raise ValueError("\n".join(problems))
        return self


class _Environment(Settings):
    """The same settings, read from the process environment and the `.env` file."""

    model_config = SettingsConfigDict(env_ignore_empty=True, env_file_encoding="utf-8", populate_by_name=False)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, dotenv_settings)


def _mode_problems(settings: Settings) -> list[str]:
    problems = []
    if bool(settings.slack_client_id) != bool(settings.slack_client_secret):
        given, missing = (
            ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET")
            if settings.slack_client_id
            else ("SLACK_CLIENT_SECRET", "SLACK_CLIENT_ID")
        )
        problems.append(
            f"{missing} is not set but {given} is: installing into many workspaces (Slack OAuth) needs both, "
            "from your app's Basic Information page"
        )
    if settings.slack_bot_token and not settings.slack_bot_token.startswith("xoxb-"):
        problems.append("SLACK_BOT_TOKEN must be the Bot User OAuth Token, which starts with xoxb-")
    if settings.slack_app_token and not settings.slack_app_token.startswith("xapp-"):
        problems.append("SLACK_APP_TOKEN must be an App-Level Token (connections:write), which starts with xapp-")
    if settings.slack_http_mode and not settings.slack_signing_secret:
        problems.append(
            "SLACK_SIGNING_SECRET is not set: Slack's HTTP mode (no SLACK_APP_TOKEN) needs it to verify requests; "
            "copy it from your app's Basic Information page, or set SLACK_APP_TOKEN for Socket Mode"
        )
    credentials = {"SLACK_APP_TOKEN": settings.slack_app_token, "SLACK_SIGNING_SECRET": settings.slack_signing_secret}
    stray = [name for name, value in credentials.items() if value]
    if stray and not (settings.wants_slack or settings.slack_client_secret):  # a half OAuth pair is named above
        problems.append(
            f"{' and '.join(stray)} set but SLACK_BOT_TOKEN is not: set SLACK_BOT_TOKEN (or SLACK_CLIENT_ID and "
            f"SLACK_CLIENT_SECRET) to run on Slack, or unset {' and '.join(stray)} to run the playground"
        )
    return problems


def _problems(error: ValidationError) -> list[str]:
    """One line per problem, naming the environment variable rather than the Python field."""
    names = {name: _variable(field.validation_alias) for name, field in Settings.model_fields.items()}
    aliases = {alias: alias for alias in names.values()}
    problems = []
    for item in error.errors():
        message = str(item["msg"]).removeprefix("Value error, ")
        if not item["loc"]:  # a rule across several variables: the message names them
            problems.extend(message.split("\n"))
            continue
        where = str(item["loc"][0])
        variable = names.get(where) or aliases.get(where) or where
        if item["type"] == "literal_error":
            message = "must be one of " + str(item.get("ctx", {}).get("expected", "")).replace("'", "")
        problems.append(f"{variable} {message}")
    return problems


def _variable(alias: object) -> str:
    if isinstance(alias, AliasChoices):
        first, *others = (str(choice) for choice in alias.choices)
        return f"{first} (or {', '.join(others)})" if others else first
    return str(alias)
