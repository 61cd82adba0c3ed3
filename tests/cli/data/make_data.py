"""Regenerates the small files in tests/cli/data with NumPy and Pillow (run by hand, not by CI).

    /usr/bin/python3 tests/cli/data/make_data.py

npy/*.npy: arrays written by numpy.save (and numpy.lib.format for version 2.0) whose values the
tests recompute from the formulas below. image/*: PNG/JPEG inputs for `--image`, and Pillow's
BILINEAR resize of r.png (per channel, float mode) as an independent reference for vitc's resize.
"""
import os

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))


def npy():
    d = os.path.join(HERE, "npy")
    os.makedirs(d, exist_ok=True)
    save = lambda name, a: np.save(os.path.join(d, name), a)
    save("f32_2x3.npy", (np.arange(6, dtype=np.float32) / 4 - 0.5).reshape(2, 3))  # i/4 - 0.5
    save("f32_scalar.npy", np.float32(2.5))
    save("f16_4.npy", np.array([0.5, -2, 65504, 1e-3], dtype=np.float16))
    save("i64_5.npy", np.arange(5, dtype=np.int64) * 3_000_000_000 - 6_000_000_000)  # 3e9 i - 6e9
    save("i32_2x2.npy", np.array([[-7, 0], [2**31 - 1, -(2**31)]], dtype=np.int32))
    save("i8_3.npy", np.array([-128, 0, 127], dtype=np.int8))
    save("u8_2x2.npy", np.array([[0, 1], [254, 255]], dtype=np.uint8))
    save("bool_3.npy", np.array([True, False, True]))
    save("f32_empty.npy", np.zeros((0, 3), dtype=np.float32))
    with open(os.path.join(d, "f32_v2.npy"), "wb") as f:
        np.lib.format.write_array(f, np.arange(4, dtype=np.float32).reshape(2, 2), version=(2, 0))
    save("f32_fortran.npy", np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
    save("f32_bigendian.npy", np.arange(3, dtype=">f4"))
    save("f64_3.npy", np.arange(3, dtype=np.float64))


def images():
    d = os.path.join(HERE, "image")
    os.makedirs(d, exist_ok=True)
    rs = np.random.RandomState(1)
    rgb = (rs.rand(37, 53, 3) * 255).astype(np.uint8)
    Image.fromarray(rgb).save(os.path.join(d, "r.png"))
    for name, size in (("r_down_16x12.npy", (16, 12)), ("r_up_60x40.npy", (60, 40))):
        planes = [np.asarray(Image.fromarray(rgb[:, :, c].astype(np.float32), "F").resize(size, Image.BILINEAR)) for c in range(3)]
        np.save(os.path.join(d, name), np.stack(planes).astype(np.float32))
    # A smooth image, where JPEG's loss is small: to check the JPEG decoder against the PNG.
    y, x = np.mgrid[0:24, 0:32]
    smooth = np.stack([x * 8, y * 10, (x + y) * 4], axis=-1).astype(np.uint8)
    Image.fromarray(smooth).save(os.path.join(d, "smooth.png"))
    Image.fromarray(smooth).save(os.path.join(d, "smooth.jpg"), quality=95, subsampling=0)
    Image.fromarray(smooth[:, :, 1]).save(os.path.join(d, "smooth_gray.png"))
    rgba = np.zeros((2, 3, 4), dtype=np.uint8)
    rgba[..., 0], rgba[..., 1], rgba[..., 2] = 200, 100, 50
    rgba[..., 3] = [[255, 128, 0], [64, 255, 1]]
    Image.fromarray(rgba, "RGBA").save(os.path.join(d, "rgba.png"))


if __name__ == "__main__":
    npy()
    images()
