"""A bare FastAPI app: one hello-world route and nothing else, the framework's ceiling for
the app's hello-world route (`bench/hello.py`) to be measured against."""

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse


async def hello_async() -> PlainTextResponse:
    return PlainTextResponse("Hello, world")


def create_bare_app() -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.add_api_route("/hello", hello_async)
    return app
