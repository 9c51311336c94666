"""Runtime tests of the Lambda code. The code is imported as the Lambda runtime imports it, from
the bundle root (``lambdas/``): ``shared.*``, ``triggers.*``, ``api.*``."""

import sys
from pathlib import Path

BUNDLE_ROOT = str(Path(__file__).resolve().parents[2] / "lambdas")
if BUNDLE_ROOT not in sys.path:
    sys.path.insert(0, BUNDLE_ROOT)
