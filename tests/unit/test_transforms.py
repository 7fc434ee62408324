import cv2
import numpy as np
import pytest
import torch
from torchvision.transforms import ToTensor

from convstudy.data.transforms import to_network_input


def test_matches_torchvision_to_tensor_bit_for_bit():
    images = np.random.default_rng(0).integers(0, 256, (5, 28, 28, 1), dtype=np.uint8)
    expected = torch.stack([ToTensor()(image) for image in images]).numpy()
    np.testing.assert_array_equal(to_network_input(images), expected)


@pytest.mark.parametrize("shape", [(3, 28, 28, 1), (600, 28, 28, 1), (200, 32, 32, 3)])
def test_batched_resize_equals_resizing_each_image(shape):
    images = np.random.default_rng(1).integers(0, 256, shape, dtype=np.uint8)
    one_by_one = np.stack(
        [cv2.resize(image, (64, 64), interpolation=cv2.INTER_LINEAR) for image in images]
    ).reshape(shape[0], 64, 64, shape[3])
    expected = one_by_one.transpose(0, 3, 1, 2).astype(np.float32) / np.float32(255)
    np.testing.assert_array_equal(to_network_input(images, 64), expected)
    single = to_network_input(images[1:2], 64)
    np.testing.assert_array_equal(single, expected[1:2])
