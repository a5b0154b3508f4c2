from fastapi import FastAPI

type Alias = int
name = "x"
msg = t"hello {name}"

app = FastAPI()

@app.on_event("startup")
async def s[T]():
    try:
        pass
    except ValueError, TypeError:
        pass
