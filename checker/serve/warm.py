"""Imported once by the playground's fork server, before any worker is forked: the engines,
the theorem library and the shipped exercises are loaded here, so that every worker (and a
fresh one started after a worker was killed) answers its first request at full speed."""

from __future__ import annotations

import contextlib
import importlib
import pkgutil

import checker.engines
from checker.exercises import load_catalog_cached
from checker.library.theorems import default_library

for _module in pkgutil.iter_modules(checker.engines.__path__):
    with contextlib.suppress(Exception):  # an engine that fails to import fails at its use
        importlib.import_module(f"checker.engines.{_module.name}")

with contextlib.suppress(Exception):
    default_library()
with contextlib.suppress(Exception):
    load_catalog_cached(None)
