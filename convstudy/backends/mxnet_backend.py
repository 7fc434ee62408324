"""The MXNet (gluon) implementation of the backend interface."""

import os
import sys
import warnings
from functools import cache

import numpy as np

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


def _import_mxnet(threads: int):
    # MXNet sizes its OpenMP pool when it is imported; later changes are ignored.
    if "mxnet" not in sys.modules:
        os.environ["OMP_NUM_THREADS"] = str(threads)
        # Full float32 on a GPU: cuDNN and cuBLAS would otherwise use TensorFloat-32 on Ampere
        # and later, and a run would no longer give the CPU's numbers within float rounding.
        # (Read by those libraries when they load; a value set by the user wins.)
        os.environ.setdefault("NVIDIA_TF32_OVERRIDE", "0")
    elif os.environ.get("OMP_NUM_THREADS") != str(threads):
        warnings.warn(
            f"mxnet was imported before with OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}"
            f"; it keeps that thread count instead of {threads}",
            RuntimeWarning,
            stacklevel=3,
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import mxnet

    return mxnet


def _gpu_problem(mx) -> str | None:
    """Why the first GPU cannot run this MXNet build, or None when it can. The CUDA wheels of
    mxnet 1.9.1 carry compiled kernels for compute capabilities 5.0 to 8.6 and no PTX to
    compile for others, so on a newer GPU (Hopper, Blackwell) every operator fails."""
    try:
        (mx.nd.ones((1,), ctx=mx.gpu(0)) + 1).asnumpy()
    except mx.base.MXNetError as error:
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        reason = next((line for line in lines if "CUDA" in line), lines[0] if lines else "")
        return f"a first operation on it failed ({reason[:300]})"
    return None


@cache
def _residual_block_class(mx):
    """A gluon block computing body(x) + x, or body(x) + shortcut(x) (defined once MXNet is
    imported)."""

    class ResidualBlock(mx.gluon.HybridBlock):
        def __init__(self, shortcut=None):
            super().__init__()
            with self.name_scope():
                self.body = mx.gluon.nn.HybridSequential()
            self.shortcut = shortcut

        def hybrid_forward(self, F, x):
            return (x if self.shortcut is None else self.shortcut(x)) + self.body(x)

    return ResidualBlock


class MXNetBackend(Backend):
    name = "mxnet"

    def __init__(self, threads: int, device: str, cpu_fallback: bool = False, hybridize=True):
        self.mx = mx = _import_mxnet(threads)
        self.threads, self.hybridize = threads, hybridize
        # Asked only when a GPU may be used: on a CUDA build it starts CUDA.
        gpus = mx.context.num_gpus() if device != "cpu" else 0
        unusable = _gpu_problem(mx) if gpus else None
        resolved = resolve_device("mxnet", device, gpus > 0, cpu_fallback, unusable)
        self.ctx = mx.gpu(0) if resolved == "cuda" else mx.cpu()
        # On a GPU each step's loss and accuracy stay on the device, summed there and read
        # once per pass; on the CPU reading them costs little. Either way the sums are the same
        # (float64, in the same order): tests switch it on for the CPU to check that.
        self.deferred_metrics = resolved == "cuda"
        self.loss = mx.gluon.loss.SoftmaxCrossEntropyLoss()

    # --- the network -------------------------------------------------------------------------

    def build(self, spec, input_shape, state):
        # A fixed prefix, and the layers named inside it: their names (the Trainer orders the
        # optimizer state by them) are then the same in every process, however many networks it
        # built before, so a checkpoint's momentum goes back to the weights it belongs to.
        net = self.mx.gluon.nn.HybridSequential(prefix="net_")
        with net.name_scope():
            blocks = self._blocks_of(spec, input_shape)
        for block in blocks:
            net.add(block)
        net.initialize(ctx=self.ctx)
        self.net = net
        self._load_state(state)
        if self.hybridize:
            # Static graph and memory: the fastest mode measured for these small networks.
            net.hybridize(static_alloc=True, static_shape=True)

    def _blocks_of(self, spec, input_shape) -> list:
        """The gluon block of each layer of spec, given the shape it receives (the input sizes
        are given, so nothing waits for a first batch to infer them)."""
        nn = self.mx.gluon.nn
        builders = {
            Conv: lambda layer, shape: nn.Conv2D(
                layer.channels,
                layer.kernel,
                strides=layer.stride,
                padding=layer.padding,
                in_channels=shape[0],
            ),
            Dense: lambda layer, shape: nn.Dense(layer.units, in_units=shape[0]),
            BatchNorm: lambda layer, shape: nn.BatchNorm(
                momentum=0.9, epsilon=1e-5, in_channels=shape[0]
            ),
            Activation: lambda layer, shape: nn.Activation(layer.function),
            Pool: lambda layer, shape: (
                nn.MaxPool2D(layer.size, layer.stride, layer.padding)
                if layer.kind == "max"
                # Padding counted as zeros in every window's mean, as torch's AvgPool2d counts it.
                else nn.AvgPool2D(layer.size, layer.stride, layer.padding, count_include_pad=True)
            ),
            GlobalAvgPool: lambda layer, shape: nn.GlobalAvgPool2D(),
            Flatten: lambda layer, shape: nn.Flatten(),
            Dropout: lambda layer, shape: nn.Dropout(layer.rate),
            Residual: lambda layer, shape: self._residual(layer, shape),
        }
        blocks, shape = [], tuple(input_shape)
        for layer, out_shape in zip(spec, layer_shapes(spec, input_shape), strict=True):
            blocks.append(builders[type(layer)](layer, shape))
            shape = out_shape
        return blocks

    def _residual(self, layer, shape):
        # The body's blocks are made first and the shortcut's last, so that names (and the
        # Trainer's order) follow network.walk.
        body = self._blocks_of(list(layer.body), shape)
        shortcut = None
        if layer.shortcut is not None:
            (shortcut,) = self._blocks_of([layer.shortcut], shape)
        block = _residual_block_class(self.mx)(shortcut)
        for inner in body:
            block.body.add(inner)
        return block

    def _blocks(self):
        return [self.net[i] for i in range(len(self.net))]

    def _leaves(self, block=None):
        """Every block that is not a container, in order, residual bodies included (the order
        of network.walk)."""
        nn = self.mx.gluon.nn
        children = [block] if block is not None else self._blocks()
        for child in children:
            if isinstance(child, nn.HybridSequential):
                for inner in child:
                    yield from self._leaves(inner)
            elif isinstance(child, _residual_block_class(self.mx)):
                yield from self._leaves(child.body)
                if child.shortcut is not None:
                    yield child.shortcut
            else:
                yield child

    def _stateful(self):
        nn = self.mx.gluon.nn
        result = []
        for block in self._leaves():
            if isinstance(block, nn.BatchNorm):
                params = [block.gamma, block.beta, block.running_mean, block.running_var]
                result.append(("batchnorm", params))
            elif isinstance(block, nn.Conv2D | nn.Dense):
                kind = "conv" if isinstance(block, nn.Conv2D) else "dense"
                result.append((kind, [block.weight, block.bias]))
        return result

    def _load_state(self, state):
        for (kind, params), (state_kind, arrays) in zip(self._stateful(), state, strict=True):
            assert kind == state_kind, (kind, state_kind)
            for param, array in zip(params, arrays, strict=True):
                param.set_data(self.mx.nd.array(array, ctx=self.ctx, dtype="float32"))

    def state(self):
        return [
            (kind, [p.data().asnumpy().copy() for p in params]) for kind, params in self._stateful()
        ]

    def parameter_count(self):
        params = self.net.collect_params().values()
        return sum(int(np.prod(p.shape)) for p in params if p.grad_req != "null")

    # --- training ------------------------------------------------------------------------------

    def configure_optimizer(self, settings):
        name = {"sgd": "sgd", "nesterov": "nag", "adam": "adam"}[settings.optimizer]
        options = {"learning_rate": settings.lr, "wd": settings.weight_decay}
        if name != "adam":
            options["momentum"] = settings.momentum
        self.trainer = self.mx.gluon.Trainer(self.net.collect_params(), name, options)

    def seed(self, value):
        self.mx.random.seed(value, ctx="all")

    def to_batch(self, images, labels):
        nd = self.mx.nd
        return nd.array(images, ctx=self.ctx), nd.array(labels, ctx=self.ctx, dtype="float32")

    def loader(self, images, labels, order, batch_size, workers, transform):
        gluon = self.mx.gluon

        class TransformedImages(gluon.data.Dataset):
            def __len__(self):
                return len(images)

            def __getitem__(self, index):
                return transform(images[index : index + 1])[0], np.float32(labels[index])

        class Order(gluon.data.Sampler):
            def __iter__(self):
                return iter(order.tolist())

            def __len__(self):
                return len(order)

        batches = gluon.data.DataLoader(
            TransformedImages(),
            batch_sampler=gluon.data.BatchSampler(Order(), batch_size, last_batch="keep"),
            num_workers=workers,
        )
        if self.ctx.device_type == "cpu":
            return batches
        # Onto the GPU as each batch is fetched, waited for, so that the copy is timed as data.
        return (self._on_device(x, y) for x, y in batches)

    def _on_device(self, x, y):
        x, y = x.as_in_context(self.ctx), y.as_in_context(self.ctx)
        self.mx.nd.waitall()
        return x, y

    def _batch_metrics(self, losses, logits, y):
        """(summed loss, correct predictions) of a batch: numbers, or with deferred_metrics
        float64 arrays on the device (as the host sums them)."""
        loss_sum = losses.sum()
        correct = (logits.argmax(axis=1) == y).sum()
        if self.deferred_metrics:
            return loss_sum.astype("float64"), correct.astype("float64")
        return float(loss_sum.asscalar()), int(correct.asscalar())

    def read(self, value):
        if isinstance(value, self.mx.nd.NDArray):
            return value.asscalar().item()
        return value

    def train_step(self, batch, timer):
        mx = self.mx
        x, y = batch
        if x.context != self.ctx:
            x, y = x.as_in_context(self.ctx), y.as_in_context(self.ctx)
        with timer.phase("forward"):
            with mx.autograd.record():
                logits = self.net(x)
                losses = self.loss(logits, y)
            loss_sum, correct = self._batch_metrics(losses, logits, y)
            mx.nd.waitall()
        with timer.phase("backward"):
            losses.backward()  # the gradient of the summed loss; step() divides by the batch
            mx.nd.waitall()
        with timer.phase("step"):
            self.trainer.step(x.shape[0])
            mx.nd.waitall()
        return loss_sum, correct

    def trace_step(self, images, labels):
        mx = self.mx
        x, y = self.to_batch(images, labels)
        batch = x.shape[0]
        # Block by block, each recorded on its own input made a leaf of its own, so that the
        # gradient each block passes back can be read; then backward block by block, last
        # first, handing each block the gradient its successor passed back. Every operator runs
        # its own forward and backward once, as in one recorded graph.
        blocks, inputs, outputs, h = self._blocks(), [], [], x
        for block in blocks:
            h = h.detach()
            h.attach_grad()
            inputs.append(h)
            with mx.autograd.record():
                h = block(h)
            outputs.append(h)
        logits = h.detach()
        logits.attach_grad()
        with mx.autograd.record():
            losses = self.loss(logits, y)
        losses.backward()  # the gradient of the summed loss, as train_step's
        grad, output_grads = logits.grad, [None] * len(blocks)
        for index in reversed(range(len(blocks))):
            output_grads[index] = grad.asnumpy() / batch
            outputs[index].backward(grad)
            grad = inputs[index].grad
        weight_grads = [
            (kind, [p.grad().asnumpy() / batch for p in params if p.grad_req != "null"])
            for kind, params in self._stateful()
        ]
        trace = StepTrace(
            loss=float(losses.mean().asscalar()),
            outputs=[output.asnumpy() for output in outputs],
            output_grads=output_grads,
            weight_grads=weight_grads,
        )
        self.trainer.step(batch)
        mx.nd.waitall()
        return trace

    def predict(self, images):
        return self.net(self.mx.nd.array(images, ctx=self.ctx)).asnumpy()

    def feature_maps(self, images):
        nn = self.mx.gluon.nn
        x, maps, after_conv = self.mx.nd.array(images, ctx=self.ctx), [], False
        for block in self._blocks():
            x = block(x)
            if isinstance(block, nn.Conv2D):
                after_conv = True
            elif after_conv and isinstance(block, nn.Activation):
                maps.append(x.asnumpy())
                after_conv = False
        return maps

    # --- files ---------------------------------------------------------------------------------

    def save_weights(self, path):
        self.net.save_parameters(path)

    def load_weights(self, path):
        self.net.load_parameters(path, ctx=self.ctx)

    def save_checkpoint(self, path):
        self.net.save_parameters(f"{path}.params")
        self.trainer.save_states(f"{path}.states")

    def load_checkpoint(self, path):
        self.net.load_parameters(f"{path}.params", ctx=self.ctx)
        self.trainer.load_states(f"{path}.states")

    @property
    def device(self):
        if self.ctx.device_type == "gpu":
            return "cuda:0"
        return f"cpu ({os.environ.get('OMP_NUM_THREADS', '?')} threads)"

    @property
    def versions(self):
        return {"mxnet": self.mx.__version__, "numpy": np.__version__}
