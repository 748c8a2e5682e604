"""The models the studio serves, by id (:class:`Studio`): given at start, trained, uploaded or
built from a spec, and the one training run; no HTTP here (tests and notebooks may use a
:class:`Studio` directly)."""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading

from .. import i18n, io
from . import api
from .errors import RequestError, refused

#: models kept in memory at most (given, trained and uploaded together)
MAX_MODELS = 16


class Served:
    """A model the studio serves: ``id``, a ``name`` to show, where it came from (``source``:
    "pretrained", "given", "trained", "uploaded", "spec"), the file it is in (or None)."""

    def __init__(self, id, name, model, source, path=None):
        self.id, self.name, self.model, self.source, self.path = id, name, model, source, path
        self._info = None

    def info(self) -> dict:
        if self._info is None:
            self._info = api.describe(self.model)
        return {
            "id": self.id,
            "name": self.name,
            "source": self.source,
            "file": self.path is not None,
            **self._info,
        }


class Studio:
    """What the server holds: the models by id, the training run, the folder models are saved
    in. The request handler asks it; tests may use it directly."""

    def __init__(self, models=(), *, save_dir=None, lang="en"):
        self.lang = lang
        self.save_dir = os.path.abspath(save_dir or os.getcwd())
        self._models: dict[str, Served] = {}
        self._next = 1
        self._guard = threading.Lock()
        self.training = None
        for name, model, source, path in models:
            self.add(name, model, source, path)

    def add(self, name, model, source, path=None) -> Served:
        """Serve ``model``. When :data:`MAX_MODELS` are held, the oldest trained, uploaded or
        built one is released first (a trained one stays in its file), so that a training that
        finished is never refused; only a studio of given models alone is full."""
        with self._guard:
            if len(self._models) >= MAX_MODELS:
                kept = ("pretrained", "given")
                released = [i for i, m in self._models.items() if m.source not in kept]
                if not released:
                    raise refused("errors.studio_full", 409, limit=MAX_MODELS)
                self._models.pop(released[0])
            served = Served(f"m{self._next}", name, model, source, path)
            self._next += 1
            self._models[served.id] = served
            return served

    def models(self) -> list[dict]:
        listed = [m.info() for m in list(self._models.values())]
        run = self.training
        if run is not None and run.active and run.model() is not None:
            listed.append(
                {
                    "id": "training",
                    "name": "training",
                    "source": "training",
                    "file": False,
                    **api.describe(run.model()),
                }
            )
        return listed

    def get(self, model_id) -> Served:
        if model_id is not None and not isinstance(model_id, str):
            raise refused("errors.studio_model_id", value=api.shown(model_id))
        if model_id is None and self._models:
            return next(iter(self._models.values()))
        if model_id == "training":
            run = self.training
            model = run.model() if run is not None else None
            if model is None:
                raise refused("errors.studio_no_training_model", 404)
            return Served("training", "training", model, "training")
        served = self._models.get(model_id)
        if served is None:
            known = ", ".join(self._models) or api.NOTHING
            raise refused("errors.studio_no_model", 404, id=repr(model_id), known=known)
        return served

    # -- training -----------------------------------------------------------------------------

    def start_training(self, options, data=None) -> dict:
        from .training import TrainingRun

        with self._guard:
            if self.training is not None and self.training.active:
                raise refused("errors.studio_training_running", 409)
            run = TrainingRun(options, self.save_dir, on_saved=self._saved, data=data)
            self.training = run
        run.start()
        return run.status()

    def _saved(self, path, model):
        self.add(os.path.basename(path), model, "trained", path)

    def shutdown(self, timeout=120.0) -> str | None:
        """Stop a running training (its trainer saves the model file); returns the file."""
        run = self.training
        if run is None or not run.active:
            return None
        run.stop()
        run.join(timeout)
        return run.path if run.path and os.path.exists(run.path) else None

    # -- uploads ------------------------------------------------------------------------------

    def open_model(self, request: dict) -> dict:
        """A new model from ``{"spec": {...}}``, ``{"builtin": "DeepConvNet"}`` or ``{"file":
        base64, "name": "..."}`` (a tatamikomi model file or the book's params.pkl)."""
        from ..models import STUDIO_BUDGET, from_spec, get_model, import_book_params, load

        given = [k for k in ("spec", "builtin", "file") if k in request]
        if len(given) != 1:
            raise refused("errors.studio_model_one_of")
        seed = request.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise refused("errors.studio_seed", value=repr(seed))
        label = os.path.basename(str(request.get("name") or ""))[:80]
        if given[0] == "spec":
            try:
                spec = request["spec"] if isinstance(request["spec"], (dict, str)) else None
                model = from_spec(spec, seed=seed, budget=STUDIO_BUDGET)
            except (ValueError, TypeError) as error:
                raise refused("errors.studio_spec", error=error) from None
            return self.add(label or "spec", model.eval(), "spec").info()
        if given[0] == "builtin":
            name = request["builtin"]
            if name not in ("SimpleConvNet", "DeepConvNet"):
                raise refused("errors.studio_builtin", value=repr(name))
            return self.add(f"{name} (random)", get_model(name, seed=seed).eval(), "spec").info()
        what = i18n.Said("errors.studio_model_file")
        data = api.decode_base64(request["file"], what, api.MAX_MODEL_BYTES)
        name = label or "uploaded.npz"
        folder = tempfile.mkdtemp(prefix="tatamikomi-studio-")
        path = os.path.join(folder, "model")
        try:
            with open(path, "wb") as f:
                f.write(data)
            if data[:1] == b"\x80":  # the book's params.pkl (read without running code)
                model = import_book_params(path)
            else:
                model = load(path)
        except (io.ModelFileError, ValueError, TypeError, KeyError) as error:
            raise _renamed(error, path, name) from None
        finally:
            with contextlib.suppress(OSError):
                os.unlink(path)
            with contextlib.suppress(OSError):
                os.rmdir(folder)
        return self.add(name, model, "uploaded").info()


def _renamed(error: Exception, path: str, name: str) -> RequestError:
    """A model file's error as a :class:`RequestError` naming the file ``name`` the user gave,
    not the temporary ``path`` it was read from (said in the request's language when it can)."""
    said = getattr(error, "said", None)
    if said is not None:
        values = {k: name if v == path else v for k, v in said.values.items()}
        if path not in i18n.Said(said.key, **values).say("en"):
            return refused(said.key, **values)
    return RequestError(str(error).replace(path, name))
