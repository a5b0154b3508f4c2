from fastapi import FastAPI


class Scheduler:
    def on_event(self, name):
        def register(func):
            return func

        return register

    def add_event_handler(self, name, func):
        pass


scheduler = Scheduler()
app = FastAPI()


@scheduler.on_event("startup")
def tick():
    pass


scheduler.add_event_handler("startup", tick)
