from myframework import App

app = App()


@app.on_event("startup")
def start():
    pass


app.add_event_handler("shutdown", start)
