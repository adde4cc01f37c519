"""The measurement flags shared by ``invert`` and ``make-instance`` (see :mod:`milpinv.measurement`)."""

from __future__ import annotations

import argparse
import math

import numpy as np

from ..errors import InputError
from ..files import read_npy
from ..measurement import Measurement
from ..validation import MAX_ENTRIES, make_rng
from .args import positive_int


def image_shape(text: str) -> tuple[int, int, int]:
    """``"1,8,8"`` -> (1, 8, 8)."""
    try:
        dims = tuple(int(t) for t in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected C,H,W (three positive integers), got {text!r}") from None
    if len(dims) != 3 or min(dims) < 1:
        raise argparse.ArgumentTypeError(f"expected C,H,W (three positive integers), got {text!r}")
    return dims[0], dims[1], dims[2]


def fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1], got {text!r}") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1], got {text!r}")
    return value


def add_measurement_args(p: argparse.ArgumentParser, random: bool = False) -> None:
    """--mask FILE | --measure-matrix FILE | --avgpool K [--image-shape C,H,W] (and with ``random``:
    --observe F | --measure-rows M, drawn with the instance's seed)."""
    group = p.add_mutually_exclusive_group()
    group.add_argument("--mask", default=None, help="inpainting: a 0/1 vector over G's outputs (.npy, .txt, .csv)")
    group.add_argument("--measure-matrix", default=None, help="compressed sensing: y = A G(z), A an m x n .npy")
    group.add_argument("--avgpool", type=positive_int, default=None, help="super-resolution: K x K average pooling")
    if random:
        group.add_argument("--observe", type=fraction, default=None, help="inpainting: observe a random fraction F")
        group.add_argument(
            "--measure-rows", type=positive_int, default=None, help="compressed sensing: M N(0, 1/M) rows"
        )
    p.add_argument("--image-shape", type=image_shape, default=None, help="with --avgpool: outputs as C,H,W")


def measurement_from_args(args, n: int, seed: int | None = None) -> Measurement | None:
    """The measurement the flags ask for, over n outputs (None: every output observed)."""
    if args.image_shape is not None and args.avgpool is None:
        raise InputError("--image-shape: only with --avgpool")
    if args.mask is not None:
        return Measurement.mask(read_npy(args.mask, "mask"))
    if args.measure_matrix is not None:
        return Measurement.matrix(read_npy(args.measure_matrix, "measurement matrix"))
    if args.avgpool is not None:
        return Measurement.avgpool(args.image_shape or square_image(n), args.avgpool)
    rng = make_rng(seed, 0x6D73)
    if getattr(args, "observe", None) is not None:
        keep = rng.permutation(n)[: max(1, round(args.observe * n))]
        return Measurement.mask(np.isin(np.arange(n), keep))
    if getattr(args, "measure_rows", None) is not None:
        if args.measure_rows * n > MAX_ENTRIES:
            raise InputError(f"--measure-rows: {args.measure_rows} rows of {n} outputs exceed {MAX_ENTRIES} entries")
        return Measurement.matrix(rng.normal(0.0, 1.0 / math.sqrt(args.measure_rows), size=(args.measure_rows, n)))
    return None


def square_image(n: int) -> tuple[int, int, int]:
    """(1, s, s) for n = s^2 outputs; otherwise --image-shape is needed."""
    s = math.isqrt(n)
    if s * s != n:
        raise InputError(f"--avgpool: {n} outputs are not a square image; give --image-shape C,H,W")
    return 1, s, s
