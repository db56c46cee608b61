"""The app under test plus hello-world routes: the framework's ceiling on the same stack
(same middleware, same server, same worker count)."""

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

from app.main import create_app


async def hello_async() -> PlainTextResponse:
    return PlainTextResponse("Hello, world")


def hello_sync() -> PlainTextResponse:
    return PlainTextResponse("Hello, world")


def create_bench_app() -> FastAPI:
    app = create_app()
    app.add_api_route("/hello", hello_async, include_in_schema=False)
    app.add_api_route("/hello-sync", hello_sync, include_in_schema=False)
    # First in the routing table: the router tries routes in order, and the ceiling should
    # not pay for matching the app's fifty routes before it.
    routes = app.router.routes
    routes[:] = routes[-2:] + routes[:-2]
    return app
