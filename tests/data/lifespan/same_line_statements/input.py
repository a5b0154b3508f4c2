from fastapi import FastAPI

app = FastAPI(); app.router.add_event_handler("startup", print); ready = True
if ready: app.router.add_event_handler("shutdown", print)  # one-line block
