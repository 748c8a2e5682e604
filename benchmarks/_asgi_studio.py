"""The studio's hot endpoints on uvicorn + starlette, for bench_classroom.py's ``--server asgi``:
the same :mod:`tatamikomi.serve.api` functions, the same :class:`~tatamikomi.serve.registry.Studio`
(models, the training run) and the same JSON encoding as ``tatamikomi serve``, so that comparing
the two compares the servers. Benchmark-only: uvicorn and starlette are not dependencies of
tatamikomi (``pip install uvicorn starlette``).

    python benchmarks/_asgi_studio.py [--port 0] [--save-dir DIR]

Serves ``POST /api/join`` (a cookie, no checks), ``GET /api/models[/ID]``, ``POST /api/layers``,
``/api/predict``, ``/api/explain``, ``POST``/``GET /api/train``, ``GET /api/train/events`` (SSE),
``GET /api/strings`` and the static files. The computations, and each answer's JSON encoding,
run in starlette's thread pool (anyio's default: 40 threads); an SSE stream waits in the event
loop, holding no thread. Prints ``tatamikomi studio (uvicorn + starlette): URL`` and serves
until Ctrl-C.
"""

from __future__ import annotations

import argparse
import itertools
import json
import socket

import anyio
import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from tatamikomi import i18n
from tatamikomi.serve import api
from tatamikomi.serve.errors import RequestError, refused
from tatamikomi.serve.http import MAX_BODY, parse_json, static_files, to_json
from tatamikomi.serve.registry import Studio
from tatamikomi.serve.routes import _studio_strings

JSON = "application/json; charset=utf-8"


def encoded(value) -> bytes:
    return json.dumps(to_json(value), ensure_ascii=False, separators=(",", ":")).encode()


def make_app(studio: Studio) -> Starlette:
    static = static_files()
    students = itertools.count(1)

    def endpoint(compute, status=200):
        """An endpoint that runs ``compute(request's JSON or query, path parameters)`` and
        encodes its answer in the thread pool; a RequestError is the studio's JSON error."""

        async def handle(request):
            try:
                if request.method == "POST":
                    raw = await request.body()
                    if len(raw) > MAX_BODY:
                        raise refused(
                            "errors.studio_body_large", 413, length=len(raw), limit=MAX_BODY
                        )
                    given = parse_json(raw) if raw else {}
                else:
                    given = dict(request.query_params)
                params = request.path_params
                body = await run_in_threadpool(lambda: encoded(compute(given, **params)))
                return Response(body, status, media_type=JSON)
            except RequestError as error:
                said = {"error": i18n.say(error, "en"), "status": error.status}
                return Response(encoded(said), error.status, media_type=JSON)

        return handle

    def image(body):
        served = studio.get(body.get("model"))
        return served.model, api.image_from(body, served.model)

    def layers(body):
        model, picture = image(body)
        channels = None if body.get("all_channels") else api.DEFAULT_CHANNELS
        return {**api.layers(model, picture, channels=channels), "model": body.get("model")}

    def predict(body):
        model, picture = image(body)
        return {**api.predict(model, picture), "model": body.get("model")}

    def explain(body):
        model, picture = image(body)
        for key in ("layer", "channel", "position"):
            if key not in body:
                raise refused("errors.studio_explain_give", key=key)
        return api.explain(model, picture, body["layer"], body["channel"], body["position"])

    def train_status(query):
        run = studio.training
        return run.status() if run is not None else {"state": "idle"}

    async def join(request):
        student = f"s{next(students)}"
        answer = Response(encoded({"student": student}), 201, media_type=JSON)
        answer.set_cookie("tatamikomi_session", student, httponly=True, samesite="strict")
        return answer

    async def events(request):
        run = studio.training
        if run is None:
            said = {"error": "no training", "status": 404}
            return Response(encoded(said), 404, media_type=JSON)
        last = int(request.headers.get("Last-Event-ID") or request.query_params.get("after", 0))

        async def stream(last=last):
            while True:
                sent = run.events_after(last, timeout=0)
                for event in sent:
                    data = json.dumps(to_json(event), separators=(",", ":"))
                    yield f"id: {event['id']}\ndata: {data}\n\n"
                    last = event["id"]
                if not sent:
                    if not run.active:
                        return
                    yield ": keep-alive\n\n"
                    await anyio.sleep(0.25)

        return StreamingResponse(stream(), media_type="text/event-stream; charset=utf-8")

    async def page(request):
        name = request.path_params.get("name", "index.html")
        content, kind = static.get(name, (b"", "text/plain"))
        return Response(content, 200 if content else 404, media_type=kind)

    routes = [
        Route("/", page),
        Route("/static/{name}", page),
        Route("/api/join", join, methods=["POST"]),
        Route("/api/strings", endpoint(lambda q: {"strings": _studio_strings(), "lang": "en"})),
        Route("/api/models", endpoint(lambda q: {"models": studio.models()})),
        Route("/api/models/{model_id}", endpoint(lambda q, model_id: studio.get(model_id).info())),
        Route("/api/layers", endpoint(layers), methods=["POST"]),
        Route("/api/predict", endpoint(predict), methods=["POST"]),
        Route("/api/explain", endpoint(explain), methods=["POST"]),
        Route("/api/train", endpoint(train_status), methods=["GET"]),
        Route("/api/train", endpoint(studio.start_training, 202), methods=["POST"]),
        Route("/api/train/events", events),
    ]
    return Starlette(routes=routes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--save-dir", default=".")
    args = parser.parse_args()
    model = ("SimpleConvNet (MNIST)", api.default_model(), "pretrained", api.pretrained_path())
    studio = Studio([model], save_dir=args.save_dir)
    # IPPROTO_TCP, as uvicorn's own sockets have it: asyncio sets TCP_NODELAY only on those
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    sock.listen(2048)  # uvicorn's backlog; listening before the URL is printed
    config = uvicorn.Config(
        make_app(studio), log_level="warning", access_log=False, timeout_graceful_shutdown=5
    )
    host, port = sock.getsockname()[:2]
    print(f"tatamikomi studio (uvicorn + starlette): http://{host}:{port}/", flush=True)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        studio.shutdown()


if __name__ == "__main__":
    main()
