"""Run the gateway: uvicorn with httptools on uvloop (chosen by measurement, benches/SERVER.md).
One worker serves from this process; more re-create the app in each worker from env vars."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass

import uvicorn

from routecore.server.app import Gateway
from routecore.server.settings import _SCALARS, ServerSettings

log = logging.getLogger("routecore.server")


@dataclass(frozen=True, slots=True)
class RunOptions:
    demo: bool = False


def settings_env(s: ServerSettings) -> dict[str, str]:
    """The settings as env vars, for worker processes (digests only: no secret is ever in clear)."""
    env = {"ROUTECORE_SERVER_" + n.upper(): str(getattr(s, n)) for n in _SCALARS
           if getattr(s, n) is not None}
    env["ROUTECORE_API_KEYS"] = json.dumps({d: {"tenant": k.tenant, "user_tier": k.user_tier}
                                            for d, k in s.api_keys.items()})
    return env


def _config(app: Gateway, s: ServerSettings) -> uvicorn.Config:
    # proxy_headers off: the app never reads the client address or scheme that uvicorn's
    # X-Forwarded-* middleware would rewrite, and that middleware is a layer on every request.
    # No `server: uvicorn` header: it tells a scanner what runs here, and uvicorn checks every
    # response header with two regexes.
    return uvicorn.Config(
        app, host=s.host, port=s.port, loop="uvloop", http="httptools", lifespan="on",
        access_log=False, log_level=s.log_level, timeout_graceful_shutdown=int(s.graceful_shutdown_s),
        backlog=4096, proxy_headers=False, server_header=False,
    )


def serve(settings: ServerSettings, opts: RunOptions) -> None:
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if opts.demo:
        from routecore.server.demo import Demo

        with Demo() as demo:
            app = Gateway(settings.with_(allow_anonymous=True, workers=1), demo.router(), "demo")
            print(demo.banner(settings.host, settings.port), flush=True)
            uvicorn.Server(_config(app, settings.with_(workers=1))).run()
        return
    if settings.workers == 1:
        uvicorn.Server(_config(Gateway(settings), settings)).run()
        return
    # Each worker builds its own app (and router: budgets are per worker) from the environment.
    os.environ.update(settings_env(settings))
    s = settings
    uvicorn.run("routecore.server.app:create_app", factory=True, workers=s.workers, host=s.host,
                port=s.port, loop="uvloop", http="httptools", lifespan="on", access_log=False,
                log_level=s.log_level, timeout_graceful_shutdown=int(s.graceful_shutdown_s), backlog=4096,
                proxy_headers=False)
