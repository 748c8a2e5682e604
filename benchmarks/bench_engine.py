"""Engine benchmark: tatamikomi against PyTorch (CPU) in the same process, and against the book.

For each case it prints our median time, PyTorch's with the same number of threads, their ratio
(ours / PyTorch: below 1 is faster), and the speed-up over the plain im2col implementation
written the book's way (``tatamikomi.lecture``). Times are steady-state medians of interleaved
rounds (see ``compare``), so drifts of a noisy machine hit both sides alike. All float32.

    python benchmarks/bench_engine.py [--threads 2] [--rounds 15] [--json results.json]

Cases: (a) the SimpleConvNet convolution (N=100, 1x28x28, 30 filters 5x5) forward+backward;
(b) a VGG-style layer (N=64, 64x32x32, 64 filters 3x3, pad 1) forward+backward; (c) 2x2 max
and average pooling forward+backward on both of those outputs; (d) a whole SimpleConvNet
training step with Adam at batch 100; (e) each of DeepConvNet's six convolutions at batch 100,
forward+backward (the first without an input gradient, as in training); (f) a whole
DeepConvNet training step with Adam at batch 100; (g) DeepConvNet's inference on 10,000 MNIST
test images (``predict``; PyTorch: ``no_grad``, 500 images at a time). The convolutions also
show their rate in GFLOP/s, to read against the machine's limit, printed first: the rate of one
large float32 matrix product.

``--epochs`` adds whole training epochs on MNIST (60,000 images, batch 100, Adam, the same
shuffled order for both libraries; evaluation not included): SimpleConvNet, and with ``--deep``
DeepConvNet too (about two minutes per epoch of ours). Peak memory: ``bench_memory.py``.

OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, if set, are removed for this process only (they select a
slower kernel), and the BLAS kernel that ran is printed.
"""

from __future__ import annotations

import os
import sys

if any(os.environ.get(name) for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")):
    env = {
        k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
    }
    os.execve(sys.executable, [sys.executable] + sys.argv, env)

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import tatamikomi as tk  # noqa: E402
from tatamikomi import functional as F  # noqa: E402
from tatamikomi import lecture  # noqa: E402
from _data import mnist_test_images, mnist_training_images  # noqa: E402  (benchmarks/_data.py, beside this script)

try:
    import torch
except ImportError:  # pragma: no cover
    sys.exit("This benchmark compares against PyTorch: pip install torch==2.13.0")


def blas_description() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (pip install threadpoolctl to see the BLAS kernel)"
    return "; ".join(
        f"{i.get('internal_api')} {i.get('version', '')} kernel={i.get('architecture')} "
        f"threads={i.get('num_threads')}"
        for i in threadpool_info()
        if i.get("user_api") == "blas"
    )


def gemm_rate(size: int = 2048, repeats: int = 5) -> float:
    """GFLOP/s of one large float32 matrix product (size x size x size), the best of a few."""
    rng = np.random.default_rng(0)
    a = rng.random((size, size), dtype=np.float32)
    b = rng.random((size, size), dtype=np.float32)
    a @ b
    best = min(_seconds(lambda: a @ b) for _ in range(repeats))
    return 2 * size**3 / best / 1e9


def _seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def conv_flops(n, c, hw, filters, k, pad, input_grad=True) -> float:
    """Multiply-adds x 2 of forward + backward (dW and dx): three products of the same size
    (two without the input gradient)."""
    out_hw = hw + 2 * pad - k + 1
    return (3 if input_grad else 2) * 2 * n * filters * c * k * k * out_hw * out_hw


def compare(candidates: dict, rounds: int, calls: int = 3) -> dict:
    """Median seconds per call of each callable, in steady state.

    Rounds interleave the candidates so that a drifting machine affects all alike. In each
    round a candidate first runs once untimed: that call absorbs the hand-over from the other
    library (thread pools that still spin after their last job, caches), then ``calls``
    back-to-back calls are timed, as in a training loop.
    """
    times = {name: [] for name in candidates}
    for _ in range(rounds):
        for name, fn in candidates.items():
            fn()
            start = time.perf_counter()
            for _ in range(calls):
                fn()
            times[name].append((time.perf_counter() - start) / calls)
    return {name: statistics.median(t) for name, t in times.items()}


# ---- the cases ------------------------------------------------------------------------------


def conv_case(rng, n, c, hw, filters, k, pad, input_grad=True):
    x = rng.standard_normal((n, c, hw, hw), dtype=np.float32)
    w = rng.standard_normal((filters, c, k, k), dtype=np.float32) * 0.1
    b = rng.standard_normal(filters, dtype=np.float32)
    out_hw = hw + 2 * pad - k + 1
    dout = rng.standard_normal((n, filters, out_hw, out_hw), dtype=np.float32)

    layer = tk.Convolution(w, b, stride=1, pad=pad, need_input_grad=input_grad)

    def ours():
        layer.forward(x)
        layer.backward(dout)

    book_layer = lecture.Convolution(w, b, stride=1, pad=pad)

    def book():
        book_layer.forward(x)
        book_layer.backward(dout)

    xt = torch.from_numpy(x).requires_grad_(input_grad)
    wt = torch.from_numpy(w).requires_grad_()
    bt = torch.from_numpy(b).requires_grad_()
    doutt = torch.from_numpy(dout)

    def theirs():
        xt.grad = wt.grad = bt.grad = None
        torch.nn.functional.conv2d(xt, wt, bt, padding=pad).backward(doutt)

    return {"ours": ours, "torch": theirs, "book": book}


def pool_case(shape, mode, rng):
    x = rng.standard_normal(shape, dtype=np.float32)
    np.maximum(x, 0, out=x)  # pooling follows ReLU: many ties at 0
    dout = rng.standard_normal(shape[:2] + (shape[2] // 2, shape[3] // 2), dtype=np.float32)
    forward = {"max": F.max_pool2d_forward, "avg": F.avg_pool2d_forward}[mode]
    backward = {"max": F.max_pool2d_backward, "avg": F.avg_pool2d_backward}[mode]
    torch_fn = {"max": torch.nn.functional.max_pool2d, "avg": torch.nn.functional.avg_pool2d}[mode]

    def ours():
        out, cache = forward(x, 2)
        backward(dout, cache)

    book_layer = lecture.Pooling(2, 2, stride=2, mode=mode)

    def book():
        book_layer.forward(x)
        book_layer.backward(dout)

    xt = torch.from_numpy(x).requires_grad_()
    doutt = torch.from_numpy(dout)

    def theirs():
        xt.grad = None
        torch_fn(xt, 2).backward(doutt)

    return {"ours": ours, "torch": theirs, "book": book}


def book_simple_convnet(rng):
    """The book's SimpleConvNet built from the lecture's layers (its im2col code)."""
    return tk.SimpleConvNet(seed=rng, engine="lecture").layers.values()


def training_step_case(rng):
    x = rng.random((100, 1, 28, 28), dtype=np.float32)
    labels = rng.integers(0, 10, 100)

    def book_step(layers):
        loss_layer, optimizer = tk.SoftmaxWithLoss(), tk.Adam(lr=1e-3)

        def step():
            h = x
            for layer in layers:
                h = layer.forward(h)
            loss_layer.forward(h, labels)
            dout = loss_layer.backward()
            for layer in reversed(layers):
                dout = layer.backward(dout)
            for i, layer in enumerate(layers):
                optimizer.update(
                    {f"{i}{k}": v for k, v in layer.params.items()},
                    {f"{i}{k}": v for k, v in layer.grads.items()},
                )

        return step

    model, adam = tk.SimpleConvNet(seed=rng), tk.Adam(lr=1e-3)

    def ours():
        adam.update(model.params, model.gradient(x, labels))

    return {
        "ours": ours,
        "torch": torch_step("SimpleConvNet", x, labels),
        "book": book_step(book_simple_convnet(rng)),
    }


#: DeepConvNet's convolutions at batch 100: (N, C, H=W, filters, kernel, pad); its first needs
#: no input gradient
DEEP_CONVS = {
    "Conv1": (100, 1, 28, 16, 3, 1),
    "Conv2": (100, 16, 28, 16, 3, 1),
    "Conv3": (100, 16, 14, 32, 3, 1),
    "Conv4": (100, 32, 14, 32, 3, 2),
    "Conv5": (100, 32, 8, 64, 3, 1),
    "Conv6": (100, 64, 8, 64, 3, 1),
}

#: the convolution cases: (N, C, H=W, filters, kernel, pad, with the input gradient)
CONV_CASES = {
    "(a) SimpleConvNet conv 100x1x28x28, 30 5x5, fwd+bwd": (100, 1, 28, 30, 5, 0, True),
    "(b) VGG conv 64x64x32x32, 64 3x3 pad 1, fwd+bwd": (64, 64, 32, 64, 3, 1, True),
    **{
        f"(e) DeepConvNet {layer} {c}x{hw}x{hw}, {filters} {k}x{k} pad {pad}": (
            n,
            c,
            hw,
            filters,
            k,
            pad,
            c > 1,
        )
        for layer, (n, c, hw, filters, k, pad) in DEEP_CONVS.items()
    },
}


def conv_cases(prefix: str) -> dict:
    """The convolution cases whose names start with ``prefix``, as CASES lists them."""
    return {
        name: (lambda rng, shape=shape: conv_case(rng, *shape))
        for name, shape in CONV_CASES.items()
        if name.startswith(prefix)
    }


def deep_step_case(rng):
    x = rng.random((100, 1, 28, 28), dtype=np.float32)
    labels = rng.integers(0, 10, 100)
    model, adam = tk.DeepConvNet(seed=rng), tk.Adam(lr=1e-3)
    book_model, book_adam = tk.DeepConvNet(seed=rng, engine="lecture"), tk.Adam(lr=1e-3)

    def ours():
        adam.update(model.params, model.gradient(x, labels))

    def book():
        book_adam.update(book_model.params, book_model.gradient(x, labels))

    return {"ours": ours, "torch": torch_step("DeepConvNet", x, labels), "book": book}


def torch_step(name: str, x, labels):
    """One PyTorch training step of the network ``name`` with Adam on (x, labels)."""
    net = torch_network(name)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    xt, lt = torch.from_numpy(x), torch.from_numpy(labels)

    def step():
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(net(xt), lt).backward()
        optimizer.step()

    return step


def deep_inference_case(rng):
    x = mnist_test_images()
    model = tk.DeepConvNet(seed=rng)
    net = torch_network("DeepConvNet").eval()
    xt = torch.from_numpy(x)

    def ours():
        model.predict(x)

    def theirs():
        with torch.no_grad():
            for i in range(0, len(xt), 500):
                net(xt[i : i + 500])

    return {"ours": ours, "torch": theirs, "book": None}


CASES = {
    **conv_cases("(a)"),
    **conv_cases("(b)"),
    "(c) max pool 2x2 on (a) out 100x30x24x24": lambda r: pool_case((100, 30, 24, 24), "max", r),
    "(c) max pool 2x2 on (b) out 64x64x32x32": lambda r: pool_case((64, 64, 32, 32), "max", r),
    "(c) avg pool 2x2 on (a) out 100x30x24x24": lambda r: pool_case((100, 30, 24, 24), "avg", r),
    "(c) avg pool 2x2 on (b) out 64x64x32x32": lambda r: pool_case((64, 64, 32, 32), "avg", r),
    "(d) SimpleConvNet training step, Adam, batch 100": training_step_case,
    **conv_cases("(e)"),
    "(f) DeepConvNet training step, Adam, batch 100": deep_step_case,
    "(g) DeepConvNet inference, 10,000 test images": deep_inference_case,
}

#: long cases: fewer rounds, one call each
SLOW_CASES = ("(g)",)


# ---- whole epochs ---------------------------------------------------------------------------


def torch_network(name: str):
    if name == "SimpleConvNet":
        return torch.nn.Sequential(
            torch.nn.Conv2d(1, 30, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Flatten(), torch.nn.Linear(4320, 100), torch.nn.ReLU(),
            torch.nn.Linear(100, 10),
        )  # fmt: skip

    def conv(i, o, p=1):
        return [torch.nn.Conv2d(i, o, 3, padding=p), torch.nn.ReLU()]

    return torch.nn.Sequential(
        *conv(1, 16), *conv(16, 16), torch.nn.MaxPool2d(2), *conv(16, 32), *conv(32, 32, 2),
        torch.nn.MaxPool2d(2), *conv(32, 64), *conv(64, 64), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(1024, 50), torch.nn.ReLU(), torch.nn.Dropout(0.5),
        torch.nn.Linear(50, 10), torch.nn.Dropout(0.5),
    )  # fmt: skip


def epoch_case(name: str, x, t, rounds: int) -> dict:
    """Seconds per epoch of training (600 steps of 100 images with Adam) for both libraries,
    alternating, the median of ``rounds`` epochs each."""
    order = np.random.default_rng(0).permutation(len(x))
    batches = [order[i : i + 100] for i in range(0, len(x), 100)]
    model, adam = tk.models.get_model(name, seed=0), tk.Adam(lr=0.001)
    net = torch_network(name)
    optimizer = torch.optim.Adam(net.parameters(), lr=0.001)
    xt, tt = torch.from_numpy(x), torch.from_numpy(t.astype(np.int64))

    def ours():
        for batch in batches:
            adam.update(model.params, model.gradient(x[batch], t[batch]))

    def theirs():
        net.train()
        for batch in batches:
            index = torch.from_numpy(batch)
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(net(xt[index]), tt[index]).backward()
            optimizer.step()

    times = {"ours": [], "torch": []}
    for _ in range(rounds):
        for label, fn in (("ours", ours), ("torch", theirs)):
            times[label].append(_seconds(fn))
    return {label: statistics.median(v) for label, v in times.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2, help="threads for both sides (default 2)")
    parser.add_argument("--rounds", type=int, default=9, help="timed rounds per case (default 9)")
    parser.add_argument("--no-book", action="store_true", help="skip the book-style baseline")
    parser.add_argument("--only", default="", help="run only cases whose name contains this")
    parser.add_argument("--json", help="also write the results to this JSON file")
    parser.add_argument("--epochs", type=int, default=0, help="whole MNIST epochs per library")
    parser.add_argument("--deep", action="store_true", help="with --epochs: DeepConvNet too")
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    tk.set_num_threads(args.threads)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads, user_api="blas")
    except ImportError:
        pass
    print(
        f"tatamikomi {tk.__version__}, numpy {np.__version__}, torch {torch.__version__}, "
        f"python {platform.python_version()}, {os.cpu_count()} CPUs, threads {args.threads}"
    )
    print(f"BLAS: {blas_description()}")
    limit = gemm_rate()
    print(f"machine limit: one 2048^3 float32 matrix product runs at {limit:.0f} GFLOP/s")
    header = (
        f"{'case':<56} {'ours ms':>9} {'torch ms':>9} {'ratio':>6} {'book ms':>9} {'speed-up':>8}"
    )
    print(header)
    print("-" * len(header))
    results = []
    for name, build in CASES.items():
        if args.only and args.only not in name:
            continue
        candidates = build(np.random.default_rng(0))
        book = candidates.pop("book")
        slow = name.startswith(SLOW_CASES)
        t = compare(candidates, max(3, args.rounds // 3) if slow else args.rounds, 1 if slow else 3)
        if not args.no_book and book is not None:
            # Apart: the book's code runs multi-threaded BLAS, whose workers keep spinning for a
            # while afterwards and would slow whichever library ran next.
            t["book"] = compare({"book": book}, max(3, args.rounds // 3))["book"]
            time.sleep(0.5)
        row = {
            "case": name,
            "ours_s": t["ours"],
            "torch_s": t["torch"],
            "ratio": t["ours"] / t["torch"],
            "book_s": t.get("book"),
        }
        row["speedup_over_book"] = row["book_s"] / t["ours"] if row["book_s"] else None
        shape = CONV_CASES.get(name)
        if shape:
            row["ours_gflops"] = conv_flops(*shape) / t["ours"] / 1e9
            row["torch_gflops"] = conv_flops(*shape) / t["torch"] / 1e9
        results.append(row)
        book = (
            f"{row['book_s'] * 1e3:9.2f} {row['speedup_over_book']:7.1f}x" if row["book_s"] else ""
        )
        rate = (
            f"   GFLOP/s ours {row['ours_gflops']:.0f}, torch {row['torch_gflops']:.0f}"
            if shape
            else ""
        )
        print(
            f"{name:<56} {t['ours'] * 1e3:9.2f} {t['torch'] * 1e3:9.2f} {row['ratio']:6.2f} "
            f"{book}{rate}",
            flush=True,
        )
    if args.epochs:
        x, t, source = mnist_training_images()
        print(
            f"\nwhole epochs on {source}, {len(x):,} images, batch 100, Adam (median of "
            f"{args.epochs}):"
        )
        for name in ("SimpleConvNet", "DeepConvNet") if args.deep else ("SimpleConvNet",):
            e = epoch_case(name, x, t, args.epochs)
            ratio = e["ours"] / e["torch"]
            results.append(
                {
                    "case": f"epoch {name}",
                    "ours_s": e["ours"],
                    "torch_s": e["torch"],
                    "ratio": ratio,
                }
            )
            print(
                f"{'epoch ' + name:<56} {e['ours']:8.1f}s {e['torch']:8.1f}s {ratio:6.2f}",
                flush=True,
            )
    if args.json:
        tmp = args.json + ".tmp"
        with open(tmp, "w") as f:
            json.dump(
                {
                    "blas": blas_description(),
                    "threads": args.threads,
                    "gemm_gflops": limit,
                    "results": results,
                },
                f,
                indent=2,
            )
        os.replace(tmp, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
