#!/usr/bin/python3
"""The PyTorch peer of `nntrace mnist` for scripts/bench.sh: the network,
loss, initialisation scheme, batch, learning rate schedule and data of
bench/mnist_numpy.py (whose loader and command line it uses), written the
way a PyTorch user would: torch.nn.Sequential of Linear and ReLU layers,
CrossEntropyLoss, torch.optim.SGD, float32 on the CPU.

Only the training loop of each epoch is timed (the shuffle, the batch
gathers, forward, backward and the optimizer step); loading the data and
converting it to tensors happen before. After each epoch it evaluates the
test set, untimed. Prints JSON lines like `nntrace mnist --json`: first one
that names the engine, its version and threads, then one per epoch.

Threads: --threads T sets torch.set_num_threads(T) (set OMP_NUM_THREADS=T
too, so the OpenMP pool has that size from the start, and
OPENBLAS_NUM_THREADS=1, as scripts/bench.sh does: threads of OpenBLAS under
torch's own pool make the 2-thread run several times slower). Needs Debian's python3-torch (`make bench-peers` installs it).
Usage: mnist_torch.py [--data DIR] [--epochs N] [--layers 784-128-10]
                      [--batch 64] [--rate 0.7] [--anneal 0.6] [--seed 1]
                      [--threads T]
"""
import json
import sys
import time

import mnist_numpy


def train_torch(args, train, test, sizes):
    import torch
    torch.manual_seed(args.seed)
    layers = []
    for l in range(1, len(sizes)):
        lin = torch.nn.Linear(sizes[l - 1], sizes[l])
        r = (6.0 / sizes[l - 1]) ** 0.5                   # He uniform, zero bias
        torch.nn.init.uniform_(lin.weight, -r, r)
        torch.nn.init.zeros_(lin.bias)
        layers.append(lin)
        if l < len(sizes) - 1:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    X, Y = torch.from_numpy(train[0]), torch.from_numpy(train[1])
    Xt, Yt = torch.from_numpy(test[0]), torch.from_numpy(test[1])
    opt = torch.optim.SGD(model.parameters(), lr=args.rate)
    lossf = torch.nn.CrossEntropyLoss()               # softmax + cross-entropy, batch mean
    for epoch in range(1, args.epochs + 1):
        t0 = time.perf_counter()
        perm = torch.randperm(len(X))
        total = 0.0
        for first in range(0, len(X), args.batch):
            idx = perm[first:first + args.batch]
            opt.zero_grad(set_to_none=True)
            loss = lossf(model(X[idx]), Y[idx])
            loss.backward()
            opt.step()
            total += float(loss) * len(idx)
        epoch_s = time.perf_counter() - t0
        with torch.no_grad():
            acc = float((model(Xt).argmax(dim=1) == Yt).float().mean())
        mnist_numpy.epoch_line(epoch, epoch_s, total / len(X), acc)
        for g in opt.param_groups:
            g["lr"] *= args.anneal


def main():
    args, sizes, train, test, head = mnist_numpy.setup(mnist_numpy.arguments("PyTorch"),
                                                       "mnist_torch")
    try:
        import torch
    except ImportError:
        sys.exit("mnist_torch: no PyTorch for %s (apt-get install python3-torch, "
                 "or make bench-peers)" % sys.executable)
    torch.set_num_threads(args.threads)
    head = dict({"engine": "torch", "torch": torch.__version__,
                 "torch_threads": torch.get_num_threads()}, **head)
    print(json.dumps(head), flush=True)
    train_torch(args, train, test, sizes)


if __name__ == "__main__":
    main()
