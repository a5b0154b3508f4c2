from fastapi import FastAPI

from .events import on_shutdown, on_startup
from . import tasks

app = FastAPI(on_startup=[on_startup], on_shutdown=[on_shutdown])
app.router.add_event_handler("startup", tasks.start_scheduler)
