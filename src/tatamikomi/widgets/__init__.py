"""The studio in a notebook (Jupyter, JupyterLab, Colab, VS Code): :class:`Studio` with every
panel, or one panel alone (:class:`Draw`, :class:`Network`, :class:`Playground`,
:class:`Training`). Needs the ``notebook`` extra: ``pip install "tatamikomi[notebook]"``
(anywidget).

The page's own ES modules (``serve/static/*.js``) and markup (``static/index.html``) run in the
widget; only the transport differs: each call the panels make (``client.js``) is an anywidget
custom message to the kernel, answered here by the same functions the HTTP handler calls
(:mod:`tatamikomi.serve.routes`), with the same JSON. Training runs in a thread of the kernel
and its events are pushed as messages.

Each view loads its own copy of the modules (``widget.js``): two widgets on one page, or one
widget shown twice, are independent studios on the page; the kernel side of one widget holds
its models and training run.

In Python: ``studio.prediction`` (int or None), ``studio.image`` (the 28×28 the network saw),
``studio.history`` (each finished epoch), and ``studio.model = m`` to show another model.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from pathlib import Path

import numpy as np

from .. import i18n

try:
    import anywidget
    import traitlets
except ImportError:
    raise i18n.error(
        ImportError, "errors.common_installed_install_pip", module="anywidget", extra="notebook"
    ) from None

from ..serve import api, routes
from ..serve.errors import RequestError, refused
from ..serve.http import static_files, to_json
from ..serve.registry import Studio as ModelRegistry

__all__ = ["Studio", "Draw", "Network", "Playground", "Training", "dispatch"]

#: seconds an event stream waits for the run's next event before looking again
EVENT_WAIT = 1.0


def _page() -> dict:
    """What the widget's front end loads: the studio's markup (index.html's body, scripts
    left out), its style sheet, the ES modules by file name, and the calls :data:`CALLS`
    answers (the front end's client offers exactly these)."""
    files = static_files()
    html = files["index.html"][0].decode("utf-8")
    body = re.search(r"<body[^>]*>(.*)</body>", html, re.S).group(1)
    body = re.sub(r"<script\b.*?</script>", "", body, flags=re.S)
    sources = {
        name: data.decode("utf-8")
        for name, (data, _) in files.items()
        if name.endswith(".js") and not name.startswith("instructor")
    }
    return {
        "markup": body,
        "css": files["style.css"][0].decode("utf-8"),
        "sources": sources,
        "calls": sorted(CALLS),
    }


def _train_command(studio: ModelRegistry, args: list) -> dict:
    name = _arg(args, 0)
    if name not in ("pause", "resume", "stop"):
        raise refused("errors.widget_train_command", name=api.shown(name))
    run = routes.studio_run(studio)
    getattr(run, name)()
    return run.status()


def _arg(args: list, k: int, default=None):
    return args[k] if len(args) > k and args[k] is not None else default


def _body(args: list) -> dict:
    body = _arg(args, 0, {})
    if not isinstance(body, dict):
        raise refused("errors.widget_body", given=api.shown(body))
    return body


#: each call of client.js the panels make -> its answer, from the studio and the call's args
CALLS = {
    "strings": lambda studio, args: routes.strings_answer(studio),
    "models": lambda studio, args: {"models": studio.models()},
    "openModel": lambda studio, args: studio.open_model(_body(args)),
    "samples": lambda studio, args: api.sample_list(studio.get(_arg(args, 0)).model),
    "layers": lambda studio, args: routes.prediction(studio, _body(args), layers=True),
    "explain": lambda studio, args: routes.explanation(studio, _body(args)),
    "why": lambda studio, args: routes.why_answer(studio, _body(args)),
    "exercises": lambda studio, args: routes.exercise_list(),
    "answer": lambda studio, args: routes.exercise_answer(_body(args)),
    "backward": lambda studio, args: routes.backward_answer(studio, _body(args)),
    "playground": lambda studio, args: routes.playground_answer(_body(args)),
    "trainStatus": lambda studio, args: (
        studio.training.status() if studio.training is not None else {"state": "idle"}
    ),
    "train": lambda studio, args: studio.start_training(_body(args)),
    "trainCommand": _train_command,
}


def dispatch(studio: ModelRegistry, message) -> dict:
    """The reply to one message of the widget's front end, ``{"id", "call", "args", "lang"}``:
    ``{"reply": id, "json": answer as JSON text}``, or ``{"reply": id, "error": one line,
    "status": HTTP-like status}``. Never raises: a bad message or a bug is answered with one
    line (no traceback reaches the notebook)."""
    if not isinstance(message, dict):
        message = {}
    reply = {"reply": message.get("id")}
    lang = message.get("lang")
    lang = lang if isinstance(lang, str) and lang in i18n.languages() else studio.lang
    with i18n.use(lang):
        try:
            call, args = message.get("call"), message.get("args", [])
            if not isinstance(args, list):
                raise refused("errors.widget_body", given=api.shown(args))
            if not isinstance(call, str) or call not in CALLS:
                raise refused(
                    "errors.widget_unknown_call",
                    call=api.shown(call),
                    known=", ".join(sorted(CALLS)),
                )
            answer = CALLS[call](studio, args)
            return {**reply, "json": json.dumps(to_json(answer), ensure_ascii=False)}
        except RequestError as error:
            return {**reply, "error": i18n.say(error, lang), "status": error.status}
        except Exception as error:  # a bug: one line for the widget, the kernel carries on
            said = i18n.text("errors.widget_internal", kind=type(error).__name__, error=error)
            return {**reply, "error": said, "status": 500}


class Studio(anywidget.AnyWidget):
    """The studio in a notebook: draw a digit, look inside the network (click a cell for its
    products), the lecture's playground, live training.

    ``model``: the tatamikomi model to show (None: the pretrained SimpleConvNet);
    ``lang``: "en" or "ja" (None: the language tatamikomi speaks now, see tatamikomi.i18n);
    ``sample``: a test image to show first (see :attr:`sample`);
    ``save_dir``: the folder trained models are saved in (None: the current folder, the
    notebook's).
    """

    _esm = Path(__file__).with_name("widget.js")
    _page = traitlets.Dict().tag(sync=True)
    _panel = traitlets.Unicode("").tag(sync=True)
    _lang = traitlets.Unicode("").tag(sync=True)
    _unavailable = traitlets.Unicode("").tag(sync=True)  # said if the page cannot load its modules

    #: the test image to show (its index in the model's test set, as the draw panel's
    #: thumbnails number them): set it from Python, e.g. for a Network() panel alone; None: the
    #: drawing
    sample = traitlets.Int(None, allow_none=True).tag(sync=True)
    #: the digit the network predicted for the latest image the widget sent (None: none yet)
    prediction = traitlets.Int(None, allow_none=True)
    #: the image the network saw, (28, 28) grey levels 0..255 (None: none yet)
    image = traitlets.Any(None)

    def __init__(self, model=None, lang=None, *, sample=None, save_dir=None, **kwargs):
        lang = i18n.check_lang(lang) if lang is not None else i18n.current()
        if model is None:
            name, path = "SimpleConvNet (MNIST)", api.pretrained_path()
            given = (name, api.default_model(), "pretrained", path)
        else:
            given = (_model_name(model), _checked_model(model), "given", None)
        self._studio = ModelRegistry([given], save_dir=save_dir, lang=lang)
        self._shown_id = None
        self._image_request = None  # the image part of the last prediction asked for
        self._streams: dict[str, threading.Event] = {}
        super().__init__(
            _page=_page(),
            _lang=lang,
            _unavailable=i18n.text("widgets.cannot_load", lang=lang),
            sample=sample,
            **kwargs,
        )
        self.on_msg(self._received)

    # -- what a notebook reads and sets -------------------------------------------------------

    @property
    def studio(self) -> ModelRegistry:
        """The models and the training run the widget serves (tatamikomi.serve.registry)."""
        return self._studio

    @property
    def model(self):
        """The model the widget's panels use now (the last one a prediction was asked of)."""
        return self._studio.get(self._shown_id).model

    @model.setter
    def model(self, model):
        served = self._studio.add(_model_name(model), _checked_model(model), "given")
        self._shown_id = served.id
        self.send({"select": served.id})

    def explain(self, layer: str, channel: int, position) -> dict:
        """How cell ``position`` (i, j) of ``channel`` of ``layer`` came about for the image the
        widget shows: the answer the network panel shows when the cell is clicked (window,
        products, ``"total"``, bias, value; see tatamikomi.serve.api.explain)."""
        if self._image_request is None:
            raise refused("errors.widget_no_image")
        body = {**self._image_request, "layer": layer, "channel": channel, "position": position}
        with i18n.use(self._studio.lang):  # the formulas and notes in the widget's language
            return routes.explanation(self._studio, body)

    @property
    def history(self) -> list[dict]:
        """Each finished epoch of the training run: ``{"epoch", "loss", "train_acc", ...}``."""
        run = self._studio.training
        return run.status()["epochs"] if run is not None else []

    def __repr__(self) -> str:
        served = self._studio.get(self._shown_id)
        return f"{type(self).__name__}(model={served.name!r}, prediction={self.prediction})"

    # -- the front end's messages -------------------------------------------------------------

    def _received(self, widget, content, buffers):
        if not isinstance(content, dict):
            content = {}
        view = content.get("view")
        if content.get("call") == "trainEvents":
            return self._stream(content, view)
        if content.get("call") == "closeEvents":
            stop = self._streams.pop(f"{view}/{_arg(content.get('args') or [], 0)}", None)
            if stop is not None:
                stop.set()
            return None
        reply = dispatch(self._studio, content)
        if content.get("call") == "layers" and "json" in reply:
            body = content["args"][0]
            self._image_request = {k: v for k, v in body.items() if k != "all_channels"}
            self._remember(json.loads(reply["json"]))
        self.send({**reply, "view": view})

    def _remember(self, answer: dict):
        """Keep what the network saw and predicted (the answer of a ``layers`` call)."""
        self._shown_id = answer.get("model", self._shown_id)
        if answer.get("empty"):
            self.image, self.prediction = None, None
            return
        seen = answer["seen"]
        if isinstance(seen, dict):  # a large image, packed as {shape, base64} by to_json
            data = np.frombuffer(base64.b64decode(seen["base64"]), "<f4")
            seen = data.reshape(seen["shape"])
        self.image = np.asarray(seen, np.float32)[0]
        self.prediction = int(answer["prediction"])

    def _stream(self, content: dict, view):
        """Answer a ``trainEvents`` call, then push each event of the run as a message from a
        thread, until the run ends or the front end closes the stream."""
        args = content.get("args") or []
        reply = dispatch(self._studio, {**content, "call": "trainStatus"})
        try:
            run = routes.studio_run(self._studio)  # the run whose events are streamed
        except RequestError as error:
            self.send({"reply": content.get("id"), "view": view, "error": str(error)})
            return
        self.send({**reply, "view": view})
        stop = threading.Event()
        key = f"{view}/{content.get('id')}"
        self._streams[key] = stop
        after = _arg(args, 0, 0)

        def push(last=after if isinstance(after, int) else 0):
            while not stop.is_set():
                events = run.events_after(last, EVENT_WAIT)
                for event in events:
                    self.send({"stream": content.get("id"), "view": view, "json": _json(event)})
                    last = event["id"]
                if not events and not run.active:
                    break
            self._streams.pop(key, None)

        threading.Thread(target=push, name="tatamikomi-widget-events", daemon=True).start()

    def close(self):
        """Close the widget: its event streams end (a training run goes on, see :attr:`studio`)."""
        for stop in list(self._streams.values()):
            stop.set()
        super().close()

    # -- without a widget front end (an HTML export, GitHub's viewer) -------------------------

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle, {})
        encoded = base64.b64encode(self.picture()).decode("ascii")
        said = i18n.text("widgets.static_view", lang=self._studio.lang)
        data["image/png"] = encoded
        data["text/html"] = (
            f'<figure><img src="data:image/png;base64,{encoded}" width="{_PICTURE_SIDE}" '
            f'height="{_PICTURE_SIDE}" alt="tatamikomi studio"><figcaption>{_escape(said)}'
            "</figcaption></figure>"
        )
        return data, metadata

    def picture(self) -> bytes:
        """A PNG of the image the network saw last (else the first test image), large enough to
        look at: what a notebook shows where the widget cannot run."""
        from ..images import png_bytes

        grey = self.image
        if grey is None:
            grey = api.samples(self.model)["x"][0]
        pixels = np.clip(np.asarray(grey, np.float64), 0, 255)
        return png_bytes(pixels, scale=max(1, _PICTURE_SIDE // pixels.shape[0]))


#: the static picture's side in pixels
_PICTURE_SIDE = 140


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _json(value) -> str:
    return json.dumps(to_json(value), ensure_ascii=False)


def _checked_model(model):
    from ..models import Sequential

    if not isinstance(model, Sequential):
        raise i18n.error(TypeError, "errors.widget_model", given=type(model).__name__)
    return model.eval()


def _model_name(model) -> str:
    return getattr(model, "name", None) or type(model).__name__


class Draw(Studio):
    """The "draw a digit" panel alone (see :class:`Studio`)."""

    def __init__(self, model=None, lang=None, **kwargs):
        super().__init__(model, lang, _panel="draw", **kwargs)


class Network(Studio):
    """The "inside the network" panel alone: click a cell to see its products (see
    :class:`Studio`)."""

    def __init__(self, model=None, lang=None, **kwargs):
        super().__init__(model, lang, _panel="network", **kwargs)


class Playground(Studio):
    """The lecture's convolution and pooling playground alone (see :class:`Studio`)."""

    def __init__(self, model=None, lang=None, **kwargs):
        super().__init__(model, lang, _panel="playground", **kwargs)


class Training(Studio):
    """The live training panel alone (see :class:`Studio`)."""

    def __init__(self, model=None, lang=None, **kwargs):
        super().__init__(model, lang, _panel="training", **kwargs)
