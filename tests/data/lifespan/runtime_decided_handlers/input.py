"""Handlers whose definitions the codemod cannot see: FastAPI decides how to call them."""
import asyncio
from functools import partial

from fastapi import FastAPI


class Relay:
    """``start`` is sync but returns a task: FastAPI calls it and does not await the task."""

    def start(self) -> asyncio.Task:
        print("relay.start")
        self.stopped = asyncio.Event()
        self.task = asyncio.ensure_future(self.run())
        return self.task

    async def run(self) -> None:
        try:
            await asyncio.wait_for(self.stopped.wait(), timeout=1)
        except asyncio.TimeoutError:
            print("relay timed out: start-up waited for it")

    async def stop(self) -> None:
        print("relay.stop")
        self.stopped.set()
        await self.task


class Hook:
    """An object with ``async def __call__``: FastAPI awaits it."""

    async def __call__(self) -> None:
        print("hook awaited")


relay = Relay()
hook = Hook()

app = FastAPI(
    on_startup=[relay.start, hook, partial(print, "partial")],
    on_shutdown=[relay.stop],
)
