"""The backend interface: what the training loop asks of a framework, and where a run
computes. MXNet and PyTorch each implement it once (mxnet_backend, torch_backend)."""

import os
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from convstudy.errors import UserError
from convstudy.network import Layer


class DeviceError(UserError, RuntimeError):
    """The device a run asks for cannot be used here; the message says what to set instead."""


@dataclass
class StepTrace:
    """What one training step computed, layer by layer (Backend.trace_step): enough to find the
    first value in which two frameworks part ways (convstudy.divergence)."""

    loss: float  # the batch's mean loss
    outputs: list[np.ndarray]  # each layer of the spec (top level, in order): its output
    # The gradient of the batch's mean loss with respect to each of those outputs: what the layer
    # after it passed back (the last one's comes from the loss).
    output_grads: list[np.ndarray]
    # The gradient of the mean loss for each layer with weights, in the order and kinds of
    # state(): (kind, arrays), the trained arrays only (a batch norm's scale and shift).
    weight_grads: list[tuple[str, list[np.ndarray]]]


class Backend(ABC):
    name: str

    @abstractmethod
    def build(self, spec: list[Layer], input_shape: tuple[int, ...], state: list) -> None:
        """Build the network of spec and load its initial state (network.initial_state)."""

    @abstractmethod
    def state(self) -> list:
        """The network's arrays as numpy, in the layout of network.initial_state."""

    @abstractmethod
    def parameter_count(self) -> int:
        """Trainable parameters, counted by the framework itself."""

    @abstractmethod
    def configure_optimizer(self, settings) -> None:
        """Set up optimizer, learning rate, momentum and weight decay from the run's settings (a
        convstudy.settings.RunSettings: its optimizer, lr, momentum and weight_decay)."""

    @abstractmethod
    def seed(self, value: int) -> None:
        """Seed the framework's own random numbers (dropout)."""

    @abstractmethod
    def to_batch(self, images: np.ndarray, labels: np.ndarray):
        """Framework tensors on the run's device from a float32 NCHW batch and int labels."""

    @abstractmethod
    def loader(
        self,
        images: np.ndarray,
        labels: np.ndarray,
        order: np.ndarray,
        batch_size: int,
        workers: int,
        transform: Callable[[np.ndarray], np.ndarray],
    ) -> Iterable:
        """The textbook data path: the framework's DataLoader over a dataset that transforms one
        uint8 image at a time, in `workers` worker processes, visiting samples in `order`."""

    @abstractmethod
    def train_step(self, batch, timer) -> tuple:
        """One optimization step; returns (summed loss, correct predictions) of the batch, as
        numbers or, on a GPU, as values on the device that the loop adds up and reads once per
        pass with `read` (reading them at every step would wait for the GPU at every step).
        Times its phases with timer.phase("forward" | "backward" | "step"), each ending with
        the device's work for it done, so that its time lands in that phase."""

    @abstractmethod
    def trace_step(self, images: np.ndarray, labels: np.ndarray) -> StepTrace:
        """One optimization step on a float32 NCHW batch and int labels, the one train_step
        takes (the same weights after it), recording each layer's output and the gradients of
        the step as numpy arrays. Slower than train_step: for diagnostics, not training."""

    def read(self, value) -> float | int:
        """A value train_step returned, or a sum of them, as a Python number."""
        return value

    @abstractmethod
    def predict(self, images: np.ndarray) -> np.ndarray:
        """Logits (numpy) for a float32 NCHW batch, in inference mode."""

    @abstractmethod
    def feature_maps(self, images: np.ndarray) -> list[np.ndarray]:
        """The output of each convolution block (after its activation), in inference mode."""

    @abstractmethod
    def save_weights(self, path: str) -> None:
        """The trained weights, in the framework's own format."""

    @abstractmethod
    def load_weights(self, path: str) -> None:
        """Load weights written by save_weights into the built network."""

    @abstractmethod
    def save_checkpoint(self, path: str) -> None:
        """Weights and optimizer state, enough to continue training exactly. path is a prefix:
        a backend may write several files starting with it."""

    @abstractmethod
    def load_checkpoint(self, path: str) -> None: ...

    @property
    @abstractmethod
    def device(self) -> str:
        """Where the run computes, e.g. 'cpu' or 'cuda:0 (NVIDIA H100)'."""

    @property
    @abstractmethod
    def versions(self) -> dict[str, str]: ...


def resolve_device(
    framework: str,
    wanted: str,
    gpu_available: bool,
    cpu_fallback: bool,
    unusable: str | None = None,
) -> str:
    """'cpu' or 'cuda' for a run, or an error when a GPU was demanded and there is none.

    A scheduler that gave the job a GPU says so in CUDA_VISIBLE_DEVICES; running on the CPU
    then wastes it, so that is only done with a warning. unusable: why a GPU the framework sees
    cannot run it (e.g. a build without kernels for it); that too is only run around with a
    warning."""
    if wanted == "cpu":
        return "cpu"
    if gpu_available and not unusable:
        return "cuda"
    assigned = os.environ.get("CUDA_VISIBLE_DEVICES", "")
    if unusable:
        problem = (
            f"device: {wanted} was asked for, but {framework} cannot use the GPU here: {unusable}"
        )
    else:
        problem = (
            f"device: {wanted} was asked for, but {framework} sees no GPU here "
            f"(CUDA_VISIBLE_DEVICES={assigned or 'unset'})"
        )
    if wanted == "auto" and not assigned and not unusable:
        return "cpu"
    if wanted == "auto" or cpu_fallback:
        warnings.warn(f"{problem}; running on the CPU instead", RuntimeWarning, stacklevel=2)
        return "cpu"
    raise DeviceError(
        f"{problem}. Run where a GPU is available, set device: auto, or set cpu_fallback: true "
        "to run on the CPU with a warning."
    )
