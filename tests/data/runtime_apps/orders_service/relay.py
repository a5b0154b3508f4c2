"""Outbox relay: publishes stored events in the background while the service runs."""
import asyncio

from probe import record

# Bounded so that a start-up that (wrongly) waits for the relay cannot hang forever.
MAX_IDLE_SECONDS = 0.5

_stop: asyncio.Event | None = None
_task: asyncio.Task | None = None


async def _relay_forever() -> None:
    try:
        await asyncio.wait_for(_stop.wait(), timeout=MAX_IDLE_SECONDS)
    except asyncio.TimeoutError:
        record("outbox_relay:timed_out")
    else:
        record("outbox_relay:stopped")


def start_outbox_relay() -> asyncio.Task:
    """Start the relay in the background; returns its task (start-up does not wait)."""
    global _stop, _task
    record("start_outbox_relay")
    _stop = asyncio.Event()
    _task = asyncio.create_task(_relay_forever())
    return _task


async def stop_outbox_relay() -> None:
    record("stop_outbox_relay")
    _stop.set()
    await _task
