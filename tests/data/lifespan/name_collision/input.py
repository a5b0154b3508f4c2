from fastapi import FastAPI

lifespan = "a module-level name that is not a lifespan"
result = "and another one the generated code must not shadow"

app = FastAPI()


@app.on_event("startup")
def start() -> None:
    print("start", lifespan, result)


app.router.add_event_handler("shutdown", app.state.__class__)
