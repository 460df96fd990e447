"""Writes the seeded inputs of the side-by-side benchmark as .npy files, once, for both sides.

z (100000x1000) logits, y (100000x1000) soft targets (softmax rows, strictly positive so that
ln y is finite for the PyTorch collision loss), g (100000x1000) an upstream gradient for the softmax
backward pass, and s (4096x3000) SwAV scores: cosine similarities between L2-normalised 128-d
features and 3000 L2-normalised prototypes, the input SwAV's Sinkhorn sees.
"""
import argparse
import os

import numpy as np


def softmax_rows(x):
    x = x - x.max(axis=1, keepdims=True)
    np.exp(x, out=x)
    x /= x.sum(axis=1, keepdims=True)
    return x


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True, help="directory for the .npy files")
    parser.add_argument("--rows", type=int, default=100000)
    parser.add_argument("--classes", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=4096)
    parser.add_argument("--prototypes", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    n, k = args.rows, args.classes

    z = (2.0 * rng.standard_normal((n, k), dtype=np.float32)).astype(np.float32)
    np.save(os.path.join(args.out, "z.npy"), z)
    del z
    y = softmax_rows(rng.standard_normal((n, k), dtype=np.float32)).astype(np.float32)
    np.save(os.path.join(args.out, "y.npy"), y)
    del y
    g = rng.standard_normal((n, k), dtype=np.float32)
    np.save(os.path.join(args.out, "g.npy"), g)
    del g

    features = rng.standard_normal((args.batch, 128))
    features /= np.linalg.norm(features, axis=1, keepdims=True)
    prototypes = rng.standard_normal((args.prototypes, 128))
    prototypes /= np.linalg.norm(prototypes, axis=1, keepdims=True)
    np.save(os.path.join(args.out, "s.npy"), (features @ prototypes.T).astype(np.float32))


if __name__ == "__main__":
    main()
