"""Handlers whose definitions the codemod cannot see: FastAPI decides how to call them."""
import asyncio
from functools import partial

from fastapi import FastAPI
import inspect
from contextlib import asynccontextmanager


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


async def run_event_handlers(*handlers):
    """Run start-up/shut-down handlers in order as FastAPI did: await the async ones."""
    for handler in handlers:
        function = handler
        while isinstance(function, partial):
            function = function.func
        if inspect.iscoroutinefunction(function) or (
            callable(function) and inspect.iscoroutinefunction(function.__call__)
        ):
            await handler()
        else:
            handler()


@asynccontextmanager
async def lifespan(app: FastAPI):
    await run_event_handlers(relay_start_handler)
    await run_event_handlers(hook)
    print_handler()
    await run_event_handlers(*getattr(app.router, "on_startup", ()))
    yield
    await run_event_handlers(relay_stop_handler)
    await run_event_handlers(*getattr(app.router, "on_shutdown", ()))


relay_start_handler = relay.start
print_handler = partial(print, "partial")
relay_stop_handler = relay.stop
app = FastAPI(
    lifespan=lifespan,
)
