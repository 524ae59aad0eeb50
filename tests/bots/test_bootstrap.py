"""One process, several platforms: each workspace's port comes from its own platform's adapter."""

from __future__ import annotations

import pytest

from bots.bootstrap import PortsByPlatform
from core.models import Workspace
from core.port import Undeliverable
from core.vocabulary import Platform
from tests.fakes.recording_port import RecordingPort


def test_ports_are_chosen_by_the_workspaces_platform() -> None:
    slack, discord = RecordingPort(), RecordingPort()
    ports = PortsByPlatform()
    ports.register(Platform.SLACK, lambda _w: slack)
    ports.register(Platform.DISCORD, lambda _w: discord)
    assert ports.port_for(Workspace(platform=Platform.SLACK, external_id="T1")) is slack
    assert ports.port_for(Workspace(platform=Platform.DISCORD, external_id="1")) is discord


def test_a_platform_not_connected_is_a_fault_to_retry_not_a_refusal() -> None:
    ports = PortsByPlatform()
    with pytest.raises(RuntimeError, match="no slack connection") as raised:
        ports.port_for(Workspace(platform=Platform.SLACK, external_id="T1"))
    assert not isinstance(raised.value, Undeliverable)
