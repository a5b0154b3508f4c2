from fastapi import FastAPI as F
from contextlib import asynccontextmanager as acm


def build() -> F:
    api = F(on_startup=[lambda: print("hello")])
    return api


application = build()
