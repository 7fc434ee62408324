"""Turning stored uint8 images into network inputs, the same way on every data path.

The textbook path applies this to one image at a time inside a framework DataLoader; the fast
path applies it to a whole batch. Both give the same float32 numbers, so the two paths train
identically and differ only in speed.
"""

import cv2
import numpy as np


def to_network_input(images: np.ndarray, image_size: int | None = None) -> np.ndarray:
    """uint8 N x H x W x C -> float32 N x C x S x S in [0, 1], resized (bilinear) if asked."""
    if image_size is not None and images.shape[1:3] != (image_size, image_size):
        images = np.stack(
            [
                cv2.resize(image, (image_size, image_size), interpolation=cv2.INTER_LINEAR)
                for image in images
            ]
        )
        if images.ndim == 3:  # cv2 drops a single channel axis
            images = images[..., np.newaxis]
    # Divide after the cast, like ToTensor: bit-identical to the frameworks' own transform.
    return np.ascontiguousarray(images.transpose(0, 3, 1, 2), dtype=np.float32) / np.float32(255)
