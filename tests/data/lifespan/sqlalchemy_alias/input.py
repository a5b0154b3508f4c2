import fastapi
import sqlalchemy as sa

DB = sa.create_engine("postgresql+psycopg://db/app", pool_size=3)

app = fastapi.FastAPI()


@app.on_event("shutdown")
def goodbye():
    print("goodbye")
