"""The loops this project's training path is measured against, written as the textbook does.

(a) textbook: d2l's train_ch6 - the framework's DataLoader over a dataset whose samples are
    transformed one at a time (ToTensor, and Resize for AlexNet) in `workers` processes.
    The resize is OpenCV's bilinear, as gluon's transforms.Resize does, so that all paths see
    the same pixels (torchvision's PIL resize rounds differently, by a grey level here and there).
(b) plain:    the whole set converted once into one tensor, batches by slicing, nothing tuned.
Both take the network, sample order and hyper-parameters from the caller, so their numbers can
be compared with the project's path, and both time the same phases as convstudy.train. On a GPU
(device "cuda") the textbook loop moves each batch to it as d2l's train_ch6 does, and the plain
loop moves the whole set there once, before the pass; neither waits for the GPU at the end of a
phase, so there only their total time is exact, not its split into phases.
"""

import time

import numpy as np

from convstudy.data.transforms import to_network_input
from convstudy.timing import PhaseTimer


def _result(timer, loss_sum, correct, n, started):
    seconds = time.perf_counter() - started
    return {
        "loss": loss_sum / n,
        "accuracy": correct / n,
        "seconds": seconds,
        "images_per_second": n / seconds,
        "phases": dict(timer.seconds),
    }


# --- PyTorch ---------------------------------------------------------------------------------


def torch_textbook_epoch(
    net, images, labels, order, batch_size, lr, workers, image_size=None, device="cpu"
):
    import cv2
    import torch
    from PIL import Image
    from torchvision import transforms

    steps = [transforms.ToTensor()]
    if image_size:
        size = (image_size, image_size)
        steps.insert(
            0, lambda image: cv2.resize(np.asarray(image), size, interpolation=cv2.INTER_LINEAR)
        )
    transform = transforms.Compose(steps)

    class FashionMNIST(torch.utils.data.Dataset):  # what torchvision's dataset class does
        def __len__(self):
            return len(images)

        def __getitem__(self, index):
            image = Image.fromarray(images[index][..., 0], mode="L")
            return transform(image), int(labels[index])

    loader = torch.utils.data.DataLoader(
        FashionMNIST(),
        batch_size=batch_size,
        sampler=order.tolist(),
        num_workers=workers,
        generator=torch.Generator(),  # leave the global generator to dropout, as (c) does
    )
    return _torch_loop(net, iter(loader), lr, len(order), device)


def torch_plain_epoch(net, images, labels, order, batch_size, lr, image_size=None, device="cpu"):
    import torch

    x = torch.from_numpy(to_network_input(images, image_size)).to(device)
    y = torch.from_numpy(labels.astype(np.int64)).to(device)
    index = torch.from_numpy(order).to(device)
    batches = (
        (x[index[i : i + batch_size]], y[index[i : i + batch_size]])
        for i in range(0, len(order), batch_size)
    )
    return _torch_loop(net, batches, lr, len(order), device)


def _torch_loop(net, batches, lr, n, device="cpu"):
    import torch
    import torch.nn.functional as F

    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    timer, loss_sum, correct = PhaseTimer(), 0.0, 0
    net.train()
    started = time.perf_counter()
    while True:
        with timer.phase("data"):
            batch = next(batches, None)
            if batch is not None:
                x, y = batch[0].to(device), batch[1].to(device)
        if batch is None:
            break
        with timer.phase("forward"):
            logits = net(x)
            loss = F.cross_entropy(logits, y)
        with timer.phase("backward"):
            optimizer.zero_grad()
            loss.backward()
        with timer.phase("step"):
            optimizer.step()
        loss_sum += float(loss) * len(y)
        correct += int((logits.argmax(1) == y).sum())
    return _result(timer, loss_sum, correct, n, started)


# --- MXNet -------------------------------------------------------------------------------------


def mxnet_textbook_epoch(
    net, images, labels, order, batch_size, lr, workers, image_size=None, device="cpu"
):
    import mxnet as mx
    from mxnet.gluon.data.vision import transforms

    steps = [transforms.ToTensor()]
    if image_size:
        steps.insert(0, transforms.Resize(image_size))
    dataset = mx.gluon.data.ArrayDataset(
        mx.nd.array(images, dtype="uint8"), labels.astype("float32")
    )
    dataset = dataset.transform_first(transforms.Compose(steps))

    class Order(mx.gluon.data.Sampler):
        def __iter__(self):
            return iter(order.tolist())

        def __len__(self):
            return len(order)

    loader = mx.gluon.data.DataLoader(
        dataset,
        batch_sampler=mx.gluon.data.BatchSampler(Order(), batch_size, "keep"),
        num_workers=workers,
    )
    return _mxnet_loop(net, iter(loader), lr, len(order), device)


def _mxnet_context(device):
    import mxnet as mx

    return mx.gpu(0) if device == "cuda" else mx.cpu()


def mxnet_plain_epoch(net, images, labels, order, batch_size, lr, image_size=None, device="cpu"):
    import mxnet as mx

    ctx = _mxnet_context(device)
    x = mx.nd.array(to_network_input(images, image_size), ctx=ctx)
    y = mx.nd.array(labels, dtype="float32", ctx=ctx)
    batches = (
        (
            x.take(mx.nd.array(order[i : i + batch_size], ctx=ctx)),
            y.take(mx.nd.array(order[i : i + batch_size], ctx=ctx)),
        )
        for i in range(0, len(order), batch_size)
    )
    return _mxnet_loop(net, batches, lr, len(order), device)


def _mxnet_loop(net, batches, lr, n, device="cpu"):
    import mxnet as mx

    ctx = _mxnet_context(device)

    trainer = mx.gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": lr})
    loss_fn = mx.gluon.loss.SoftmaxCrossEntropyLoss()
    timer, loss_sum, correct = PhaseTimer(), 0.0, 0
    started = time.perf_counter()
    while True:
        with timer.phase("data"):
            batch = next(batches, None)
            if batch is not None:
                x, y = batch[0].as_in_context(ctx), batch[1].as_in_context(ctx)
        if batch is None:
            break
        with timer.phase("forward"):
            with mx.autograd.record():
                logits = net(x)
                loss = loss_fn(logits, y)
            loss.wait_to_read()
        with timer.phase("backward"):
            loss.backward()
            mx.nd.waitall()
        with timer.phase("step"):
            trainer.step(x.shape[0])
            mx.nd.waitall()
        loss_sum += float(loss.sum().asscalar())
        correct += int((logits.argmax(axis=1) == y).sum().asscalar())
    return _result(timer, loss_sum, correct, n, started)
