#!/usr/bin/python3
"""The numpy peer of `nntrace mnist` for scripts/bench.sh: the same network,
loss, initialisation scheme, batch, learning rate schedule and data, written
the way a numpy user would, float32 throughout (bench/mnist_torch.py is the
PyTorch peer and shares this file's loader and command line).

  784-128-10 (or --layers), ReLU hidden layers, softmax + cross-entropy,
  He-uniform weights, zero biases, plain mini-batch SGD, the rate multiplied
  by --anneal after each epoch, a new shuffle of the training set per epoch.

Only the training loop of each epoch is timed (the shuffle, the batch
gathers, forward, backward and update); loading and converting the data to
float32 happen before. After each epoch it evaluates the test set, untimed.
Prints JSON lines like `nntrace mnist --json`: first one that names the
engine and its BLAS (the OpenBLAS core it chose and its thread count), then
one per epoch.

Threads: set OPENBLAS_NUM_THREADS before starting (--threads only records
the count).
Usage: mnist_numpy.py [--data DIR] [--epochs N]
                      [--layers 784-128-10] [--batch 64] [--rate 0.7]
                      [--anneal 0.6] [--seed 1] [--threads T]
"""
import argparse
import ctypes
import gzip
import json
import os
import sys
import time


def read_idx(path):
    """The array in an IDX file (raw or .gz), as uint8 with its shape."""
    import numpy as np
    if not os.path.exists(path) and os.path.exists(path + ".gz"):
        path += ".gz"
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 8:
        sys.exit("mnist_numpy: %s: not an IDX file of bytes" % path)
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * k:8 + 4 * k], "big") for k in range(ndim)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    return data.reshape(dims)


def load(data_dir):
    """Training and test images as (count, pixels) float32 in [0, 1], labels as int64."""
    import numpy as np
    sets = []
    for name in ("train", "t10k"):
        x = read_idx(os.path.join(data_dir, name + "-images-idx3-ubyte"))
        y = read_idx(os.path.join(data_dir, name + "-labels-idx1-ubyte"))
        sets.append((x.reshape(len(x), -1).astype(np.float32) / np.float32(255.0),
                     y.astype(np.int64)))
    return sets


def openblas_info():
    """The OpenBLAS library numpy loaded: its core name, config and threads
    (through its own C functions, found via /proc/self/maps), or numpy's
    build configuration when that is not possible."""
    import numpy as np  # noqa: F401  (loads the BLAS)
    paths = []
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                p = line.split()[-1]
                if ("openblas" in p or "libblas" in p) and p not in paths:
                    paths.append(p)
    except OSError:
        pass
    # the BLAS itself first (liblapack.so.3 of the same OpenBLAS maps too)
    paths.sort(key=lambda p: "blas" not in os.path.basename(p))
    for p in paths:
        try:
            lib = ctypes.CDLL(p)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            lib.openblas_get_config.restype = ctypes.c_char_p
            return {"blas_library": os.path.realpath(p),
                    "openblas_core": lib.openblas_get_corename().decode(),
                    "openblas_config": lib.openblas_get_config().decode().strip(),
                    "openblas_threads": lib.openblas_get_num_threads()}
        except (OSError, AttributeError):
            continue
    return {"blas_library": "unknown (numpy.show_config follows)",
            "show_config": str(np.show_config())}


def epoch_line(epoch, epoch_s, train_loss, test_accuracy):
    """One epoch as a JSON line, the fields `nntrace mnist --json` writes and
    scripts/bench.sh reads (both peers print through this)."""
    print(json.dumps({"epoch": epoch, "epoch_s": round(epoch_s, 6),
                      "train_loss": round(train_loss, 6), "test_accuracy": test_accuracy}),
          flush=True)


def train_numpy(args, train, test, sizes):
    import numpy as np
    rng = np.random.default_rng(args.seed)
    f32 = np.float32
    W, b = [], []
    for l in range(1, len(sizes)):
        r = np.sqrt(6.0 / sizes[l - 1])                   # He uniform
        W.append(rng.uniform(-r, r, (sizes[l - 1], sizes[l])).astype(f32))
        b.append(np.zeros(sizes[l], dtype=f32))
    X, Y = train
    L = len(W)
    eye = np.eye(sizes[-1], dtype=f32)
    rate = args.rate

    def forward(x):
        a = [x]
        for l in range(L):
            z = a[-1] @ W[l] + b[l]
            if l < L - 1:
                np.maximum(z, 0, out=z)
            a.append(z)
        z = a[-1]
        z -= z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        return a

    for epoch in range(1, args.epochs + 1):
        t0 = time.perf_counter()
        perm = rng.permutation(len(X))
        loss = 0.0
        for first in range(0, len(X), args.batch):
            idx = perm[first:first + args.batch]
            x, y = X[idx], Y[idx]
            a = forward(x)
            p = a[-1]
            loss += float(-np.log(np.maximum(p[np.arange(len(y)), y], f32(1e-30))).sum())
            dz = (p - eye[y]) * f32(1.0 / len(y))           # dJ/dz^[L] of the batch mean
            for l in range(L - 1, -1, -1):
                dW = a[l].T @ dz
                db = dz.sum(axis=0)
                if l > 0:
                    dz = (dz @ W[l].T) * (a[l] > 0)
                W[l] -= f32(rate) * dW
                b[l] -= f32(rate) * db
        epoch_s = time.perf_counter() - t0
        p = forward(test[0])[-1]
        acc = float((p.argmax(axis=1) == test[1]).mean())
        epoch_line(epoch, epoch_s, loss / len(X), acc)
        rate *= args.anneal


def arguments(engine):
    """The command line both peers share (the flags of `nntrace mnist`)."""
    ap = argparse.ArgumentParser(description="MNIST training with %s, the peer of "
                                 "`nntrace mnist` for scripts/bench.sh" % engine)
    ap.add_argument("--data", default="data/mnist")
    ap.add_argument("--layers", default="784-128-10")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--rate", type=float, default=0.7)
    ap.add_argument("--anneal", type=float, default=0.6)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    return ap


def setup(ap, name):
    """Parsed arguments, layer sizes, the training and test sets, and the
    first JSON line's common fields."""
    import numpy as np
    args = ap.parse_args()
    try:
        sizes = [int(s) for s in args.layers.split("-")]
    except ValueError:
        sys.exit("%s: --layers '%s': expected sizes like 784-128-10" % (name, args.layers))
    train, test = load(args.data)
    if train[0].shape[1] != sizes[0]:
        sys.exit("%s: images have %d pixels, --layers starts with %d"
                 % (name, train[0].shape[1], sizes[0]))
    head = {"numpy": np.__version__,
            "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS", ""),
            "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", ""),
            "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE", "")}
    return args, sizes, train, test, head


def main():
    args, sizes, train, test, head = setup(arguments("numpy"), "mnist_numpy")
    head = dict({"engine": "numpy"}, **head)
    head.update(openblas_info())
    print(json.dumps(head), flush=True)
    train_numpy(args, train, test, sizes)


if __name__ == "__main__":
    main()
