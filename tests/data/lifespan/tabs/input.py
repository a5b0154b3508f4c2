from fastapi import FastAPI


def create_app():
	app = FastAPI()

	@app.on_event("startup")
	def start():
		print("start")

	return app


app = create_app()
