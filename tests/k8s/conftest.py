"""The helpers of the Kubernetes manifest tests live beside them."""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
