"""First run, as a newcomer meets it: clone the repository into an empty temporary folder, run the
README's run command (`bash scripts/run`) with no tokens, and time how long until the playground's
page answers; then stop it and start it again (everything installed) as the baseline.

    python benchmarks/first_run.py [--quick] [--cold]

`--cold` installs without pip's download cache (a machine that never installed these packages);
by default the cache is used, as it would be on a developer's second clone. `--quick` skips the
second start (the baseline), so `warm_page_s` and `first_vs_warm` are null. Prints what the command says as it
goes, a table of figures, and, last, one JSON line: `first_page_s`, `warm_page_s`,
`first_vs_warm`, `venv_mb`, `output_lines` (what the first start printed before serving).
The clone, its virtual environment and its database are removed afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TIMEOUT_S = 600.0
VENV_TARGET_MB = 500
FIRST_PAGE_TARGET_S = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def clean_environment(cold: bool) -> dict[str, str]:
    """The newcomer's shell: no tokens, no database, no project settings, no venv of ours."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SLACK_", "DISCORD_", "CIRCLES_", "VIRTUAL_ENV"))
        and name not in ("DATABASE_URL", "PORT", "PYTHONPATH")
    }
    if cold:
        env["PIP_NO_CACHE_DIR"] = "1"
    return env


def page_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def start_and_time(clone: Path, env: dict[str, str], label: str) -> tuple[float, list[str]]:
    """Runs `bash scripts/run --port N` in the clone until the page answers; returns the seconds
    it took and what the command printed until then; stops the server (and everything it started)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    said: list[str] = []
    started = time.perf_counter()
    process = subprocess.Popen(
        ["bash", "scripts/run", "--port", str(port)],
        cwd=clone,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: pip and the server stop together
    )

    def echo() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            said.append(line.rstrip())
            print(f"  {label} | {line.rstrip()}", flush=True)

    reader = threading.Thread(target=echo, daemon=True)
    reader.start()
    try:
        while not page_answers(url):
            if process.poll() is not None:
                raise SystemExit(f"`bash scripts/run` stopped with status {process.returncode} before serving")
            if time.perf_counter() - started > TIMEOUT_S:
                raise SystemExit(f"the page did not answer within {TIMEOUT_S:.0f} s")
            time.sleep(0.1)
        elapsed = time.perf_counter() - started
        shown = list(said)
    finally:
        _stop(process)
        reader.join(timeout=5)
    return elapsed, shown


def _stop(process: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def folder_mb(path: Path) -> float:
    total = sum(f.lstat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())
    return total / 1_000_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="skip the second start (the baseline)")
    parser.add_argument("--cold", action="store_true", help="install without pip's download cache")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="circles-first-run."))
    try:
        clone = scratch / "peer-circles"
        print(f"cloning {REPO} into {clone}", flush=True)
        subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
        env = clean_environment(args.cold)
        first_s, said = start_and_time(clone, env, "first")
        venv_mb = folder_mb(clone / ".venv")
        warm_s = None if args.quick else start_and_time(clone, env, "again")[0]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    before_serving = [line for line in said if line.strip()]
    figures = {
        "first_page_s": round(first_s, 2),
        "warm_page_s": round(warm_s, 2) if warm_s else None,
        "first_vs_warm": round(first_s / warm_s, 2) if warm_s else None,
        "venv_mb": round(venv_mb, 1),
        "output_lines": len(before_serving),
        "pip_cache": not args.cold,
    }
    print()
    print(f"{'figure':<16} {'value':>10}  target")
    print(f"{'first_page_s':<16} {first_s:>10.2f}  < {FIRST_PAGE_TARGET_S} s (clone to page, install included)")
    if warm_s:
        print(f"{'warm_page_s':<16} {warm_s:>10.2f}  (second start, nothing to install)")
    print(f"{'venv_mb':<16} {venv_mb:>10.1f}  < {VENV_TARGET_MB} MB (scripts/run installs the run lock only)")
    print(f"{'output_lines':<16} {len(before_serving):>10}  (printed before the page answered)")
    print(json.dumps(figures))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
