from fastapi import FastAPI
from tortoise.contrib.fastapi import register_tortoise

app = FastAPI()
register_tortoise(app, db_url="sqlite://:memory:")


@app.on_event("startup")
def start():
    pass
