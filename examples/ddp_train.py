"""Train a tatamikomi model with PyTorch's DistributedDataParallel, then bring it back.

One machine, two processes on the CPU (gloo)::

    torchrun --nproc_per_node=2 examples/ddp_train.py --model SimpleConvNet --epochs 1

Several machines, one process per GPU (NCCL is chosen by itself when CUDA is there), run on
every machine with its own ``--node_rank``::

    torchrun --nnodes=2 --node_rank=0 --nproc_per_node=8 --master_addr=10.0.0.1 \
        --master_port=29500 examples/ddp_train.py --model model.npz --epochs 10

What happens, the same on every rank:

1. the tatamikomi model is built (a model file, ``SimpleConvNet``/``DeepConvNet`` or a JSON
   spec; the same seed everywhere) and copied to PyTorch with ``tatamikomi.export.to_torch``;
2. ``DistributedDataParallel`` wraps it: rank 0's weights are broadcast, and every backward
   pass averages the gradients of all ranks, so the ranks keep identical weights;
3. each rank trains on its own share of the training images (``DistributedSampler``);
4. rank 0 brings the trained module back with ``tatamikomi.export.from_torch`` and saves a
   tatamikomi model file (``-o``), which ``tatamikomi evaluate``, ``predict``, ``explain`` and
   ``plot`` take, and prints its test accuracy computed by tatamikomi.

Needs ``pip install "tatamikomi[torch]"``. See docs/interop.md.
"""

from __future__ import annotations

import argparse
import os

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

import tatamikomi as tk
from tatamikomi.data import normalize_images
from tatamikomi.export import from_torch, to_torch
from tatamikomi.models import get_model


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="SimpleConvNet",
                        help="model file, SimpleConvNet, DeepConvNet or spec.json")  # fmt: skip
    parser.add_argument("--dataset", default="mnist", help="mnist, fashion-mnist, mnist-mini")
    parser.add_argument("--data-dir", help="folder of the dataset's IDX files")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--steps", type=int, help="stop after this many steps (a quick check)")
    parser.add_argument("--batch-size", type=int, default=64, help="images per rank and step")
    parser.add_argument("--lr", type=float, default=0.001, help="Adam's learning rate")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-o", "--output", default="ddp_model.npz", help="tatamikomi model file")
    parser.add_argument("--force", action="store_true", help="replace the output file")
    parser.add_argument("--rank-weights", metavar="DIR",
                        help="every rank saves its final state_dict as DIR/rank<N>.pt")  # fmt: skip
    return parser.parse_args(argv)


def load_model(name, seed):
    if os.path.isfile(name) and not name.endswith(".json"):
        return tk.load(name)
    return get_model(name, seed=seed)


def main(argv=None) -> None:
    args = parse_arguments(argv)
    cuda = torch.cuda.is_available()
    dist.init_process_group(backend="nccl" if cuda else "gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    device = torch.device(f"cuda:{local_rank}" if cuda else "cpu")
    if cuda:
        torch.cuda.set_device(device)
    torch.manual_seed(args.seed)

    data = tk.load_dataset(args.dataset, path=args.data_dir, download=False, progress=False)
    model = load_model(args.model, args.seed)
    divide_by = (model.preprocess or {}).get("divide_by", 255)
    model.preprocess = {"divide_by": divide_by, "dataset": data.name}

    module = to_torch(model).to(device)
    ddp = DistributedDataParallel(module, device_ids=[local_rank] if cuda else None)
    train = TensorDataset(
        torch.from_numpy(normalize_images(data.x_train, divide_by)),
        torch.from_numpy(data.t_train.astype(np.int64)),
    )
    sampler = DistributedSampler(train, num_replicas=world, rank=rank, seed=args.seed)
    loader = DataLoader(train, batch_size=args.batch_size, sampler=sampler, drop_last=True)
    optimizer = torch.optim.Adam(ddp.parameters(), lr=args.lr)
    loss_function = nn.CrossEntropyLoss()

    step = 0
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)  # a new shuffle each epoch, the same on every rank
        ddp.train()
        for x, t in loader:
            optimizer.zero_grad()
            loss = loss_function(ddp(x.to(device)), t.to(device))
            loss.backward()  # DDP averages the gradients of all ranks here
            optimizer.step()
            step += 1
            if rank == 0 and step % 50 == 0:
                print(f"epoch {epoch + 1} step {step} loss {loss.item():.4f}", flush=True)
            if args.steps and step >= args.steps:
                break
        if args.steps and step >= args.steps:
            break

    module.eval()
    if args.rank_weights:
        state = {k: v.detach().cpu() for k, v in module.state_dict().items()}
        torch.save(state, os.path.join(args.rank_weights, f"rank{rank}.pt"))
    if rank == 0:
        trained = from_torch(module.cpu())  # a tatamikomi model again
        tk.save(trained, args.output, overwrite=args.force)
        x_test = normalize_images(data.x_test, divide_by)
        accuracy = trained.accuracy(x_test, data.t_test)
        print(
            f"{world} ranks ({'nccl' if cuda else 'gloo'}), {step} steps of "
            f"{args.batch_size * world} images; saved {args.output}; tatamikomi's test accuracy "
            f"{accuracy:.2%}",
            flush=True,
        )
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
