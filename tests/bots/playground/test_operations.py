"""The playground's own server answers /healthz, /readyz and /metrics, and a command typed in the
page is counted."""

from __future__ import annotations

from pathlib import Path

import aiohttp
from prometheus_client import REGISTRY

from bots.bootstrap import Settings
from bots.playground.port import dm_space
from bots.playground.server import open_playground, start_site
from core.clock import ManualClock


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_probes_and_metrics_on_the_playground(tmp_path: Path, clock: ManualClock) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'circles.sqlite3'}")
    playground = await open_playground(settings, clock, seed=False)
    runner, port = await start_site(playground, "127.0.0.1", 0)
    before = sample("circles_requests_total", kind="command", outcome="ok")
    try:
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}", cookie_jar=aiohttp.CookieJar(unsafe=True)) as web:
            async with web.get("/healthz") as alive:
                assert (alive.status, await alive.text()) == (200, "ok\n")
            async with web.get("/readyz") as ready:
                assert ready.status == 503  # the scheduler has not ticked yet
                assert (await ready.json())["checks"] == {"database": "ok", "scheduler": "not ticked yet"}
            assert playground.scheduler is not None
            await playground.scheduler.tick()
            async with web.get("/readyz") as ready:
                assert (ready.status, await ready.json()) == (
                    200,
                    {"ready": True, "checks": {"database": "ok", "scheduler": "ok"}},
                )
            async with web.post("/api/me", json={"person": "amara"}) as picked:
                assert picked.status == 200
            async with web.post("/api/send", json={"space": dm_space("amara"), "text": "/circle status"}) as sent:
                assert sent.status == 200, await sent.text()
            async with web.get("/metrics") as metrics:
                assert metrics.status == 200
                assert metrics.headers["Content-Type"].startswith("text/plain")
                exposed = await metrics.text()
        assert 'circles_requests_total{kind="command",outcome="ok"}' in exposed
        assert "circles_outbox_due" in exposed
        assert "circles_scheduler_lag_seconds" in exposed
        assert sample("circles_requests_total", kind="command", outcome="ok") == before + 1
    finally:
        await runner.cleanup()
        await playground.service.db.dispose()
