"""Pictures of a network and its training: filters, feature maps, learning curves, confusion
matrix, misclassified images. Each function returns a matplotlib Figure."""

from __future__ import annotations

import numpy as np

from .. import i18n
from ._backend import new_figure, style


def _first_conv(model):
    for name, layer in model.layers.items():
        if layer.kind == "conv":
            return name, layer
    raise i18n.error(
        ValueError, "errors.figures_convolution_layer_show", model_kind=type(model).__name__,
    )


def _filter_images(W: np.ndarray) -> np.ndarray:
    """(FN, C, FH, FW) -> images to draw: RGB (FN, FH, FW, 3) for 3 channels, else channel 0,
    each scaled to 0..1 on its own (as imshow would)."""
    W = np.asarray(W, dtype=np.float64)
    images = np.moveaxis(W, 1, -1) if W.shape[1] == 3 else W[:, 0]
    low = images.reshape(len(W), -1).min(axis=1)
    high = images.reshape(len(W), -1).max(axis=1)
    shape = (-1,) + (1,) * (images.ndim - 1)
    return (images - low.reshape(shape)) / np.maximum(high - low, 1e-12).reshape(shape)


def _image_grid(fig, images, columns, titles=None, cmap="gray"):
    """Draw images in a grid of ``columns`` on ``fig`` (a Figure or SubFigure)."""
    count = len(images)
    rows = max(1, -(-count // columns))
    axes = np.atleast_1d(fig.subplots(rows, columns, squeeze=False)).ravel()
    for k, ax in enumerate(axes):
        ax.set_axis_off()
        if k < count:
            ax.imshow(images[k], cmap=cmap, interpolation="nearest", vmin=0, vmax=1)
            if titles is not None:
                ax.set_title(titles[k], fontsize="small")
    return axes


def filters_figure(model, untrained=None, *, columns=10, lang=None):
    """The first convolution layer's filters as a grid of small images, each scaled on its own
    (light: large weights, dark: small). With ``untrained`` (the same architecture, freshly
    initialised), its random filters are drawn above, as the book compares them."""
    name, layer = _first_conv(model)
    fn, c, fh, fw = layer.W.shape
    columns = min(columns, fn)
    with style(lang):
        rows = -(-fn // columns)
        panels = 2 if untrained is not None else 1
        fig = new_figure(
            figsize=(columns * 0.9, panels * (rows * 0.95 + 0.5) + 0.6), layout="constrained"
        )
        title = i18n.text(
            "figures.filters", model=type(model).__name__, layer=name, n=fn, size=f"{fh}x{fw}"
        )
        if c > 1 and c != 3:
            title += i18n.text("figures.channel0", c=c)
        fig.suptitle(title)
        parts = fig.subfigures(panels, 1, squeeze=False).ravel()
        pairs = (
            [(untrained, i18n.text("figures.before")), (model, i18n.text("figures.after"))]
            if panels == 2
            else [(model, i18n.text("figures.trained"))]
        )
        for part, (network, label) in zip(parts, pairs):
            part.suptitle(label, fontsize="medium")
            _image_grid(part, _filter_images(_first_conv(network)[1].W), columns)
    return fig


def layer_outputs(model, image) -> list[tuple[str, np.ndarray]]:
    """One image (C, H, W) through ``model`` in inference mode: the (name, output (C', H', W'))
    of every convolution and pooling layer, in order. Each layer's train/eval mode is put back
    as it was found."""
    x = np.asarray(image)[None].astype(model.dtype, copy=False)
    outputs = []
    modes = [(layer, layer.training) for layer in model.layers.values()]
    try:
        for name, layer in model.layers.items():
            layer.eval()
            x = layer.forward(x)
            if layer.kind in ("conv", "pool"):
                outputs.append((name, x[0].copy()))
    finally:
        for layer, training in modes:
            layer.train(training)
    return outputs


def feature_maps_figure(model, image, *, max_channels=12, lang=None):
    """An image and what each convolution and pooling layer makes of it: one row per layer, up
    to ``max_channels`` of its channels (``None``: all of them), each map scaled on its own
    (bright: large)."""
    image = np.asarray(image)
    outputs = layer_outputs(model, image)
    most = max(len(out) for _, out in outputs)
    columns = most if max_channels is None else min(max_channels, most)
    with style(lang):
        fig = new_figure(figsize=(1.0 * (columns + 1.6), 1.1 * (len(outputs) + 1) + 0.6))
        fig.suptitle(i18n.text("figures.maps", model=type(model).__name__))
        grid = fig.add_gridspec(len(outputs) + 1, columns + 1, width_ratios=[1.6] + [1] * columns)
        ax = fig.add_subplot(grid[0, 1])
        ax.imshow(image[0], cmap="gray", interpolation="nearest")
        ax.set_axis_off()
        label = fig.add_subplot(grid[0, 0])
        label.set_axis_off()
        label.text(
            1, 0.5, f"{i18n.text('figures.input')}\n{tuple(image.shape)}", ha="right", va="center"
        )
        for row, (name, out) in enumerate(outputs, start=1):
            label = fig.add_subplot(grid[row, 0])
            label.set_axis_off()
            text = i18n.text("figures.maps_row", name=name, shape=tuple(out.shape))
            if len(out) > columns:
                text += "\n" + i18n.text("figures.maps_more", shown=columns, c=len(out))
            label.text(1, 0.5, text, ha="right", va="center", fontsize="small")
            for k in range(min(columns, len(out))):
                ax = fig.add_subplot(grid[row, k + 1])
                ax.imshow(out[k], cmap="gray", interpolation="nearest")
                ax.set_axis_off()
    return fig


def history_figure(history, *, model_name=None, lang=None):
    """Learning curves from a saved history (``model.history``): the mean training loss of each
    epoch, and train and test accuracy; ``model_name`` (e.g. "SimpleConvNet") goes in the
    title."""
    epochs = history.get("epoch") if history else None
    if not epochs:
        raise i18n.error(ValueError, "errors.figures_model_training_history")
    with style(lang):
        fig = new_figure(figsize=(10, 4))
        title = (
            i18n.text("figures.curves_plain")
            if model_name is None
            else i18n.text("figures.curves", model=model_name)
        )
        fig.suptitle(title)
        loss_ax, acc_ax = fig.subplots(1, 2)
        loss_ax.plot(epochs, history["loss"], marker="o")
        loss_ax.set_xlabel(i18n.text("figures.epoch"))
        loss_ax.set_ylabel(i18n.text("figures.loss"))
        loss_ax.grid(alpha=0.3)
        acc_ax.plot(epochs, history["train_acc"], marker="o", label=i18n.text("figures.train"))
        acc_ax.plot(
            epochs, history["test_acc"], marker="s", linestyle="--", label=i18n.text("figures.test")
        )
        acc_ax.set_xlabel(i18n.text("figures.epoch"))
        acc_ax.set_ylabel(i18n.text("figures.accuracy"))
        acc_ax.grid(alpha=0.3)
        acc_ax.legend(loc="lower right")
        for ax in (loss_ax, acc_ax):
            ax.xaxis.get_major_locator().set_params(integer=True)
        acc_ax.yaxis.set_major_formatter(_percent())
    return fig


def _percent():
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(1.0, decimals=1)


def confusion_matrix(labels, predicted, num_classes: int) -> np.ndarray:
    """counts[i, j]: how many images of class i were predicted as class j."""
    counts = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(counts, (np.asarray(labels), np.asarray(predicted)), 1)
    return counts


def confusion_figure(labels, predicted, classes, *, lang=None):
    """The confusion matrix of a classifier with the count in every cell (rows: true class,
    columns: predicted class); the colour is on a log scale so that rare mistakes show."""
    from matplotlib.colors import LogNorm
    from matplotlib.ticker import LogLocator, StrMethodFormatter

    labels, predicted = np.asarray(labels), np.asarray(predicted)
    k = len(classes)
    counts = confusion_matrix(labels, predicted, k)
    with style(lang):
        size = max(6, 0.6 * k + 2)
        fig = new_figure(figsize=(size + 1, size))
        ax = fig.add_subplot()
        shown = np.where(counts > 0, counts, np.nan)
        image = ax.imshow(shown, cmap="Blues", norm=LogNorm(vmin=1, vmax=max(2, counts.max())))
        bar = fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
        bar.set_label(i18n.text("figures.count"))
        bar.locator = LogLocator(subs=(1, 2, 5))  # 1, 2, 5, 10, 20, 50...: more than 10^0, 10^1
        bar.formatter = StrMethodFormatter("{x:g}")
        bar.minorticks_off()
        bar.update_ticks()
        threshold = np.sqrt(max(2, counts.max()))
        for i in range(k):
            for j in range(k):
                if counts[i, j]:
                    color = "white" if counts[i, j] > threshold else "black"
                    ax.text(
                        j,
                        i,
                        str(counts[i, j]),
                        ha="center",
                        va="center",
                        color=color,
                        fontsize="small",
                    )
        names = [str(c) for c in classes]
        ax.set_xticks(range(k), names, rotation=45 if max(map(len, names)) > 2 else 0)
        ax.set_yticks(range(k), names)
        ax.set_xlabel(i18n.text("figures.predicted"))
        ax.set_ylabel(i18n.text("figures.true"))
        ax.set_title(
            i18n.text("figures.confusion", n=len(labels), acc=float(np.mean(labels == predicted)))
        )
    return fig


def misclassified_figure(images, labels, scores, classes, *, count=25, columns=5, lang=None):
    """A grid of the misclassified images (N, C, H, W), the most confident mistakes first, each
    with its true and predicted class and the predicted probability."""
    from ..functional import softmax

    labels = np.asarray(labels)
    probabilities = softmax(np.asarray(scores, dtype=np.float64))
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != labels)
    order = wrong[np.argsort(-probabilities[wrong, predicted[wrong]], kind="stable")][:count]
    with style(lang):
        columns = max(1, min(columns, len(order) or 1))
        rows = max(1, -(-len(order) // columns))
        fig = new_figure(figsize=(columns * 1.7, rows * 2.0 + 0.6))
        fig.suptitle(
            i18n.text("figures.errors", shown=len(order), errors=len(wrong), n=len(labels))
            if len(order)
            else i18n.text("figures.no_errors")
        )
        pictures = np.asarray(images)[order]
        pictures = pictures[:, 0] if pictures.ndim == 4 and pictures.shape[1] == 1 else pictures
        if pictures.ndim == 4:  # colour (N, 3, H, W) -> (N, H, W, 3)
            pictures = np.moveaxis(pictures, 1, -1)
        pictures = pictures.astype(np.float64)
        if pictures.size and pictures.max() > 1:
            pictures = pictures / 255.0
        titles = [
            i18n.text(
                "figures.error",
                true=classes[labels[i]],
                pred=classes[predicted[i]],
                p=probabilities[i, predicted[i]],
            )
            for i in order
        ]
        if len(order):
            _image_grid(fig, pictures, columns, titles, cmap="gray_r")
    return fig
