"""Tests of optional backends need their client libraries (the `distributed` extra).

Without them a test module skips with the reason, so that a checkout installed with
only ``.[dev]`` collects and runs the rest; under ``CI=true`` a missing library
fails the run instead, as a missing service does.
"""

import importlib.util
import os

import pytest


def require_modules(*names: str, extra: str = "distributed") -> None:
    """Call at the top of a test module, before importing ``names``."""
    missing = [name for name in names if importlib.util.find_spec(name) is None]
    if not missing:
        return
    message = (f"{', '.join(missing)} not installed: these tests need the `{extra}` extra "
               f"(pip install -e '.[dev,{extra}]')")
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message, allow_module_level=True)
