import logging

from fastapi import FastAPI

log = logging.getLogger(__name__)

app = FastAPI()


async def start() -> None:
    print("start")


def stop() -> None:
    print("stop")


class Cache:
    def warm(self) -> None:
        print("warm")


cache = Cache()

# positional form on the router (still exists on FastAPI 0.165)
app.router.add_event_handler("startup", start)
app.router.add_event_handler(event_type="startup", func=cache.warm)  # keywords
app.router.add_event_handler("shutdown", func=stop)
app.on_event("shutdown")(lambda: print("bye"))
log.info("registered")
