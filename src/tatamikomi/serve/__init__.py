"""The browser studio, ``tatamikomi serve``: draw a digit, look inside the network, play with the
lecture's numbers, and train, in a local web page driven by tatamikomi's own engine.

:mod:`~tatamikomi.serve.api` holds the computations as plain functions (usable from a notebook),
:mod:`~tatamikomi.serve.server` the HTTP server (with :mod:`~tatamikomi.serve.http`, its JSON
plumbing, :mod:`~tatamikomi.serve.registry`, the models it serves, and
:mod:`~tatamikomi.serve.routes`, its endpoints), :mod:`~tatamikomi.serve.training` the training
thread; the page is in ``static/`` (plain HTML, CSS and ES modules, no build step)."""
