"""The model artifact format shared with `rust/src/classify/linear.rs` (read its doc first).

Weights are quantised per output column to i8 (`q = round(w / scale)`, `scale = max|w| / 127`);
dense weights stay f32. The file ends with an FNV-1a checksum that the loader verifies.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

MAGIC = b"RCLM"
FORMAT_VERSION = 1
FEATURE_VERSION = 3  # hashing::FEATURE_VERSION
N_BUCKETS = 1 << 16  # hashing::N_BUCKETS
N_DENSE = 24  # hashing::N_DENSE
ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "rust/src/classify/models"


def fnv1a(data: bytes) -> int:
    # 64-bit FNV-1a in numpy-free Python is slow on ~700 KB; fold in chunks of one byte anyway
    # (deterministic and only run once per training).
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def quantize(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-column i8 quantisation of an (N_BUCKETS, K) matrix."""
    peak = np.abs(w).max(axis=0)
    scale = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
    q = np.clip(np.rint(w / scale.astype(np.float64)), -127, 127).astype(np.int8)
    return q, scale


def encode(name: str, w: np.ndarray) -> bytes:
    """Serialise weights over the full index space (N_BUCKETS + N_DENSE rows, K columns)."""
    assert w.shape[0] == N_BUCKETS + N_DENSE, w.shape
    k = w.shape[1]
    q, scale = quantize(w[:N_BUCKETS])
    raw = name.encode()
    head = MAGIC + struct.pack("<6I", FORMAT_VERSION, FEATURE_VERSION, N_BUCKETS, N_DENSE, k, len(raw))
    body = head + raw + scale.astype("<f4").tobytes() + q.tobytes() + w[N_BUCKETS:].astype("<f4").tobytes()
    return body + struct.pack("<Q", fnv1a(body))


def dequantized(w: np.ndarray) -> np.ndarray:
    """What the Rust side will actually use (for evaluating exactly the shipped weights)."""
    q, scale = quantize(w[:N_BUCKETS])
    out = w.astype(np.float32).astype(np.float64)
    out[:N_BUCKETS] = q.astype(np.float64) * scale.astype(np.float64)
    return out


def write(path: Path, name: str, w: np.ndarray) -> str:
    """Write the artifact; returns its sha256 (printed, and checked by --check)."""
    import hashlib

    data = encode(name, w)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


if __name__ == "__main__":  # placeholder artifacts so a fresh tree compiles before training
    for fname, k in (("capability.bin", 10), ("difficulty.bin", 1)):
        p = MODELS / fname
        if not p.exists():
            write(p, "placeholder", np.zeros((N_BUCKETS + N_DENSE, k)))
