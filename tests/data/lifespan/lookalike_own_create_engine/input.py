from fastapi import FastAPI

from .helpers import create_engine


def create_async_engine(url):
    return url


engine = create_engine("postgresql://db/app")
other = create_async_engine("postgresql://db/app")
app = FastAPI()
