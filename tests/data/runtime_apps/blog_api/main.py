from . import events  # noqa: F401  (registers the start-up/shut-down handlers)
from .core.application import app
from .routers import posts

app.include_router(posts.router)
