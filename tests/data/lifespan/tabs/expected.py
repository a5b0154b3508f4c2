from fastapi import FastAPI
from contextlib import asynccontextmanager


def create_app():
	@asynccontextmanager
	async def lifespan(app: FastAPI):
		start()
		yield

	app = FastAPI(lifespan=lifespan)

	def start():
		print("start")

	return app


app = create_app()
