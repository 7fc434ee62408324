"""Turning stored uint8 images into network inputs, the same way on every data path.

The textbook path applies this to one image at a time inside a framework DataLoader; the fast
path applies it to a whole batch. Both give the same float32 numbers, so the two paths train
identically and differ only in speed.
"""

import cv2
import numpy as np

# OpenCV resizes an image of up to 512 channels in one call (CV_CN_MAX).
_MAX_CHANNELS = 512


def to_network_input(images: np.ndarray, image_size: int | None = None) -> np.ndarray:
    """uint8 N x H x W x C -> float32 N x C x S x S in [0, 1], resized (bilinear) if asked."""
    n, height, width, channels = images.shape
    if image_size is None or (height, width) == (image_size, image_size):
        nchw = images.transpose(0, 3, 1, 2)
    else:
        # The whole batch in as few OpenCV calls as possible: every image's channels become
        # channels of one picture, which is resized plane by plane exactly as image by image.
        planes = images.transpose(1, 2, 0, 3).reshape(height, width, n * channels)
        resized = [
            cv2.resize(
                np.ascontiguousarray(planes[..., i : i + _MAX_CHANNELS]),
                (image_size, image_size),
                interpolation=cv2.INTER_LINEAR,
            ).reshape(image_size, image_size, -1)
            for i in range(0, n * channels, _MAX_CHANNELS)
        ]
        hwnc = np.concatenate(resized, axis=2).reshape(image_size, image_size, n, channels)
        nchw = hwnc.transpose(2, 3, 0, 1)
    # Divide after the cast, like ToTensor: bit-identical to the frameworks' own transform.
    return np.ascontiguousarray(nchw, dtype=np.float32) / np.float32(255)
