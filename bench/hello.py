"""The app under test plus hello-world routes: the framework's ceiling on the same stack
(same middleware, same server, same worker count)."""

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

from app.main import create_app


def create_bench_app() -> FastAPI:
    app = create_app()

    @app.get("/hello", include_in_schema=False)
    async def hello_async() -> PlainTextResponse:
        return PlainTextResponse("Hello, world")

    @app.get("/hello-sync", include_in_schema=False)
    def hello_sync() -> PlainTextResponse:
        return PlainTextResponse("Hello, world")

    return app
