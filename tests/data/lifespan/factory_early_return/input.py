from fastapi import FastAPI


def create_app(minimal: bool = False) -> FastAPI:
    app = FastAPI()

    @app.on_event("startup")
    def always() -> None:
        print("always")

    if minimal:
        return app

    @app.on_event("startup")
    def full_only() -> None:
        print("full_only")

    return app


app = create_app()
