"""`circles run` talks: --help prints its usage and starts nothing, an unknown flag is an error
(status 2), and a port already taken is one line that suggests a free one."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bots import cli
from bots.playground import server

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def no_platforms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no .env, and var/ lands here
    for name in ("SLACK_BOT_TOKEN", "SLACK_CLIENT_ID", "DISCORD_TOKEN", "CIRCLES_PORT", "PORT", "CIRCLES_HOST"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'var' / 'circles.sqlite3'}")
    return tmp_path


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield int(holder.getsockname()[1])


@pytest.mark.usefixtures("no_platforms")
@pytest.mark.parametrize("command", ["run", "demo"])
def test_help_prints_usage_and_starts_nothing(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(server, "serve", lambda *_args, **_kwargs: pytest.fail("the server was started"))
    assert cli.main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: circles {command} [-h] [--port PORT]")
    assert "--host HOST" in out
    assert "playground" in out


@pytest.mark.usefixtures("no_platforms")
@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        (["run", "--prot", "8001"], "unrecognized arguments: --prot 8001"),
        (["run", "extra"], "unrecognized arguments: extra"),
        (["run", "--port", "eighty"], "must be a port number from 1 to 65535 (got 'eighty')"),
        (["run", "--port", "70000"], "must be a port number from 1 to 65535 (got '70000')"),
        (["--port"], "expected one argument"),
        (["run", "--host", "my laptop"], "circles run: CIRCLES_HOST must be an address to listen on"),
    ],
)
def test_an_unknown_flag_or_bad_value_is_an_error(
    argv: list[str], complaint: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(server, "serve", lambda *_args, **_kwargs: pytest.fail("the server was started"))
    assert cli.main(argv) == 2
    assert complaint in capsys.readouterr().err


def test_an_unknown_command_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["serve"]) == 2
    assert "unknown command 'serve'" in capsys.readouterr().err


def test_a_busy_port_is_one_line_suggesting_a_free_one(
    no_platforms: Path, taken_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["run", "--port", str(taken_port)]) == 1
    captured = capsys.readouterr()
    [line] = captured.err.strip().splitlines()[-1:]
    assert line.startswith(f"circles: port {taken_port} on 127.0.0.1 is already in use")
    suggested = int(line.rsplit("--port ", 1)[1])
    assert suggested != taken_port
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", suggested))  # it really is free
    assert "Traceback" not in captured.err
    assert "Open http://" not in captured.out


async def test_start_up_says_a_few_lines(no_platforms: Path) -> None:
    """Everything a first start prints until it serves (migrating and seeding included) is a few
    lines: Alembic's nine INFO lines are gone. The real command, in a process of its own."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bots.cli", "run", "--port", str(port),
        cwd=no_platforms,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    assert process.stdout is not None
    lines: list[str] = []
    try:
        async with asyncio.timeout(60):
            while not any(line.startswith("Open http://") for line in lines):
                raw = await process.stdout.readline()
                assert raw, f"circles run stopped: {lines}"
                lines.append(raw.decode().rstrip())
    finally:
        process.send_signal(signal.SIGINT)
        await process.wait()
    assert len(lines) <= 4, lines
    assert not any("alembic" in line.lower() for line in lines)
    assert lines[-1] == f"Open http://127.0.0.1:{port} in your browser (Ctrl+C stops it)."
