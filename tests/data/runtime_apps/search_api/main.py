from fastapi import FastAPI

from probe import record

from .index import INDEX, load_synonyms
from .utils.timing import timed

app = FastAPI(title="search")

app.router.add_event_handler("startup", load_synonyms)


# The on_event decorator sits *below* @timed: FastAPI registers the undecorated function,
# while the module-level name `build_index` is the timed wrapper (called by /reindex).
@timed
@app.on_event("startup")
async def build_index() -> None:
    record("build_index")
    INDEX["docs"] = ["fastapi", "lifespan"]


@app.on_event("shutdown")
@timed
def drop_index() -> None:
    record("drop_index")
    INDEX.clear()


@app.post("/reindex")
async def reindex() -> dict:
    await build_index()
    return {"docs": len(INDEX["docs"])}


@app.get("/search")
def search(q: str = "") -> dict:
    return {"hits": [d for d in INDEX.get("docs", []) if q in d]}
