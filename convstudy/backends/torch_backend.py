"""The PyTorch implementation of the backend interface."""

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from convstudy.backends.base import Backend, StepTrace, resolve_device
from convstudy.network import (
    Activation,
    BatchNorm,
    Conv,
    Dense,
    Dropout,
    Flatten,
    GlobalAvgPool,
    Pool,
    Residual,
    layer_shapes,
)


class _ArrayDataset(torch.utils.data.Dataset):
    """The textbook dataset: one stored uint8 image, transformed when it is fetched."""

    def __init__(self, images, labels, transform):
        self.images, self.labels, self.transform = images, labels, transform

    def __len__(self):
        return len(self.images)

    def __getitem__(self, index):
        image = self.transform(self.images[index : index + 1])[0]
        return torch.from_numpy(image), int(self.labels[index])


class _Residual(nn.Module):
    """body(x) + x, or body(x) + shortcut(x). The shortcut is registered after the body, so
    modules() lists its weights after the body's: network.walk's order."""

    def __init__(self, body: nn.Sequential, shortcut: nn.Module | None = None):
        super().__init__()
        self.body = body
        self.shortcut = shortcut

    def forward(self, x):
        return (x if self.shortcut is None else self.shortcut(x)) + self.body(x)


def _residual(layer: Residual, shape) -> _Residual:
    body = nn.Sequential(*_modules(list(layer.body), shape))
    shortcut = None if layer.shortcut is None else _BUILDERS[Conv](layer.shortcut, shape)
    return _Residual(body, shortcut)


def _modules(spec, input_shape) -> list[nn.Module]:
    """The torch module of each layer of spec, given the shape it receives."""
    modules, shape = [], tuple(input_shape)
    for layer, out_shape in zip(spec, layer_shapes(spec, input_shape), strict=True):
        modules.append(_BUILDERS[type(layer)](layer, shape))
        shape = out_shape
    return modules


# One builder per layer type (convstudy.network): the layer and the shape it receives.
_BUILDERS = {
    Conv: lambda layer, shape: nn.Conv2d(
        shape[0], layer.channels, layer.kernel, layer.stride, layer.padding
    ),
    Dense: lambda layer, shape: nn.Linear(shape[0], layer.units),
    # torch's momentum is the weight of the new batch: 1 - mxnet's 0.9.
    BatchNorm: lambda layer, shape: (nn.BatchNorm2d if len(shape) == 3 else nn.BatchNorm1d)(
        shape[0], eps=1e-5, momentum=0.1
    ),
    Activation: lambda layer, shape: {"relu": nn.ReLU, "sigmoid": nn.Sigmoid}[layer.function](),
    Pool: lambda layer, shape: (
        nn.MaxPool2d(layer.size, layer.stride, layer.padding)
        if layer.kind == "max"
        # Padding counted as zeros in every window's mean, as MXNet's AvgPool2D counts it.
        else nn.AvgPool2d(layer.size, layer.stride, layer.padding, count_include_pad=True)
    ),
    GlobalAvgPool: lambda layer, shape: nn.AdaptiveAvgPool2d((1, 1)),
    Flatten: lambda layer, shape: nn.Flatten(),
    Dropout: lambda layer, shape: nn.Dropout(layer.rate),
    Residual: _residual,
}
STATEFUL = (nn.Conv2d, nn.Linear, nn.BatchNorm1d, nn.BatchNorm2d)


def _numpy(tensor: torch.Tensor) -> np.ndarray:
    """A tensor as a numpy array in its logical (NCHW) order, whatever its memory layout."""
    return np.ascontiguousarray(tensor.detach().cpu().numpy())


def _kind(module: nn.Module) -> str:
    """A stateful module's kind in the layout of network.initial_state."""
    if isinstance(module, nn.BatchNorm1d | nn.BatchNorm2d):
        return "batchnorm"
    return "conv" if isinstance(module, nn.Conv2d) else "dense"


class TorchBackend(Backend):
    name = "torch"

    def __init__(self, threads: int, device: str, cpu_fallback: bool = False):
        torch.set_num_threads(threads)
        # Saturated sigmoids produce denormal floats, which x86 CPUs compute ~100x slower;
        # flushing them to zero made the textbook LeNet ~15% faster with the same losses.
        torch.set_flush_denormal(True)
        self._device = torch.device(
            resolve_device("torch", device, torch.cuda.is_available(), cpu_fallback)
        )
        if self._device.type == "cuda":
            # Full float32 on the GPU: TensorFloat-32 convolutions (PyTorch's default on Ampere
            # and later) round their inputs to 10 mantissa bits, and a run would no longer give
            # the CPU's numbers within float rounding.
            torch.backends.cudnn.conv.fp32_precision = "ieee"
            torch.backends.cuda.matmul.fp32_precision = "ieee"
        # On a GPU each step's loss and accuracy stay on the device, summed there and read once
        # per pass; on the CPU reading them costs nothing. Either way the sums are the same
        # (float64, in the same order): tests switch it on for the CPU to check that.
        self.deferred_metrics = self._device.type == "cuda"
        self.net: nn.Sequential | None = None

    # --- the network -------------------------------------------------------------------------

    def build(self, spec, input_shape, state):
        layers = _modules(spec, input_shape)
        self.net = nn.Sequential(*layers)
        self._load_state(state)
        # Channels-last (NHWC) lets oneDNN run the convolutions without reordering: about 20%
        # faster for LeNet on CPU, the same numbers up to float rounding.
        self.net.to(self._device, memory_format=torch.channels_last)

    def _stateful_modules(self):
        # modules() walks depth first in order, residual bodies included: network.walk's order.
        return [m for m in self.net.modules() if isinstance(m, STATEFUL)]

    def _load_state(self, state):
        with torch.no_grad():
            for module, (kind, arrays) in zip(self._stateful_modules(), state, strict=True):
                if kind == "batchnorm":
                    targets = [module.weight, module.bias, module.running_mean, module.running_var]
                else:
                    targets = [module.weight, module.bias]
                for target, array in zip(targets, arrays, strict=True):
                    target.copy_(torch.from_numpy(np.asarray(array)))

    def state(self):
        result = []
        for module in self._stateful_modules():
            tensors = [module.weight, module.bias]
            if _kind(module) == "batchnorm":
                tensors += [module.running_mean, module.running_var]
            result.append((_kind(module), [t.detach().cpu().numpy().copy() for t in tensors]))
        return result

    def parameter_count(self):
        return sum(p.numel() for p in self.net.parameters() if p.requires_grad)

    # --- training ------------------------------------------------------------------------------

    def configure_optimizer(self, settings):
        name, params = settings.optimizer, self.net.parameters()
        if name == "adam":
            self.optimizer = torch.optim.Adam(
                params, lr=settings.lr, weight_decay=settings.weight_decay
            )
        else:
            self.optimizer = torch.optim.SGD(
                params,
                lr=settings.lr,
                momentum=settings.momentum,
                nesterov=name == "nesterov",
                weight_decay=settings.weight_decay,
            )

    def seed(self, value):
        torch.manual_seed(value)

    def _input(self, images):
        x = images if isinstance(images, torch.Tensor) else torch.from_numpy(images)
        # Reordered on the host, then copied: the copy waits for itself, so all of a batch's
        # preparation is timed as data, and the GPU runs no layout kernel of its own.
        return x.contiguous(memory_format=torch.channels_last).to(self._device)

    def to_batch(self, images, labels):
        y = torch.from_numpy(np.asarray(labels, dtype=np.int64)).to(self._device)
        return self._input(images), y

    def loader(self, images, labels, order, batch_size, workers, transform):
        batches = torch.utils.data.DataLoader(
            _ArrayDataset(images, labels, transform),
            batch_size=batch_size,
            sampler=order.tolist(),
            num_workers=workers,
            # Its own generator: seeding the workers must not draw from the global one, which
            # gives the dropout masks (so both data paths drop the same units).
            generator=torch.Generator(),
        )
        if self._device.type == "cpu":
            return batches
        # Onto the GPU as each batch is fetched, so that the copy is timed as data.
        return ((self._input(x), y.to(self._device)) for x, y in batches)

    def _sync(self):
        if self._device.type == "cuda":
            torch.cuda.synchronize()

    def _batch_metrics(self, loss, logits, y):
        """(summed loss, correct predictions) of a batch: numbers, or with deferred_metrics
        tensors on the device (float64 and int64, as the host sums them)."""
        correct = (logits.argmax(dim=1) == y).sum()
        if self.deferred_metrics:
            return loss.detach().double() * len(y), correct
        return loss.item() * len(y), int(correct)

    def read(self, value):
        return value.item() if isinstance(value, torch.Tensor) else value

    def train_step(self, batch, timer):
        x, y = batch
        x, y = self._input(x), y.to(self._device)  # no-ops for batches from to_batch
        self.net.train()
        with timer.phase("forward"):
            logits = self.net(x)
            loss = F.cross_entropy(logits, y)
            loss_sum, correct = self._batch_metrics(loss, logits, y)
            self._sync()
        with timer.phase("backward"):
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self._sync()
        with timer.phase("step"):
            self.optimizer.step()
            self._sync()
        return loss_sum, correct

    def trace_step(self, images, labels):
        x, y = self.to_batch(images, labels)
        self.net.train()
        # The modules one after another, as the Sequential runs them, keeping each output's
        # gradient (retain_grad changes nothing in the computation). The input asks for its
        # gradient too, so that every output has one, even before the first layer with weights.
        outputs, h = [], x.requires_grad_(True)
        for module in self.net:
            h = module(h)
            h.retain_grad()
            outputs.append(h)
        loss = F.cross_entropy(h, y)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        trace = StepTrace(
            loss=loss.item(),
            outputs=[_numpy(output) for output in outputs],
            output_grads=[_numpy(output.grad) for output in outputs],
            weight_grads=[
                (_kind(module), [_numpy(module.weight.grad), _numpy(module.bias.grad)])
                for module in self._stateful_modules()
            ],
        )
        self.optimizer.step()
        return trace

    @torch.no_grad()
    def predict(self, images):
        self.net.eval()
        return self.net(self._input(images)).cpu().numpy()

    @torch.no_grad()
    def feature_maps(self, images):
        self.net.eval()
        x, maps, after_conv = self._input(images), [], False
        for module in self.net:
            x = module(x)
            if isinstance(module, nn.Conv2d):
                after_conv = True
            elif after_conv and isinstance(module, nn.ReLU | nn.Sigmoid):
                maps.append(x.cpu().contiguous().numpy())
                after_conv = False
        return maps

    # --- files ---------------------------------------------------------------------------------

    def save_weights(self, path):
        torch.save(self.net.state_dict(), path)

    def load_weights(self, path):
        self.net.load_state_dict(torch.load(path, map_location=self._device, weights_only=True))

    def save_checkpoint(self, path):
        torch.save({"model": self.net.state_dict(), "optimizer": self.optimizer.state_dict()}, path)

    def load_checkpoint(self, path):
        saved = torch.load(path, map_location=self._device, weights_only=True)
        self.net.load_state_dict(saved["model"])
        self.optimizer.load_state_dict(saved["optimizer"])

    @property
    def device(self):
        if self._device.type == "cuda":
            return f"cuda:0 ({torch.cuda.get_device_name(0)})"
        return f"cpu ({torch.get_num_threads()} threads)"

    @property
    def versions(self):
        return {"torch": torch.__version__, "numpy": np.__version__}
