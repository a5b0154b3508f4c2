from fastapi import FastAPI

from .utils import traced

app = FastAPI()


@traced
@app.on_event("startup")
def start():
    pass


@app.on_event("shutdown")
def stop():
    pass
