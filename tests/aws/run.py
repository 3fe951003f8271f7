"""Runs every tests/aws/test_*.py file: each defines functions named test_* that take a
running `harness.Moto` (reset before each test) and the path of the built binaries.

    .venv/bin/python tests/aws/run.py target/debug
"""

import importlib.util
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from harness import Moto  # noqa: E402


def main():
    bin_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "target/debug").resolve()
    only = sys.argv[2] if len(sys.argv) > 2 else ""
    failed = []
    passed = 0
    with Moto() as moto:
        for path in sorted(Path(__file__).parent.glob("test_*.py")):
            spec = importlib.util.spec_from_file_location(path.stem, path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            for name in sorted(n for n in dir(module) if n.startswith("test_")):
                label = f"{path.stem}::{name}"
                if only not in label:
                    continue
                moto.reset()
                start = time.monotonic()
                try:
                    getattr(module, name)(moto, bin_dir)
                except Exception:
                    failed.append(label)
                    print(f"FAIL {label}\n{traceback.format_exc()}")
                else:
                    passed += 1
                    print(f"ok   {label} ({time.monotonic() - start:.1f}s)")
    print(f"tests/aws: {passed} passed, {len(failed)} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
