"""NPY streams for the tests: several arrays, one np.save after another, in
one file (man/nnpipe-formats.5). tests/lib.sh puts this folder on
PYTHONPATH."""
import numpy as np


def read_stream(path):
    """Every array of the stream at path."""
    f = open(path, "rb")
    size, out = len(f.read()), []
    f.seek(0)
    while f.tell() < size:
        out.append(np.load(f, allow_pickle=False))
    return out


def write_stream(path, *arrays):
    """The arrays, one after another, to path."""
    with open(path, "wb") as f:
        for a in arrays:
            np.save(f, a, allow_pickle=False)
