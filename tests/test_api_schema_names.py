"""The API's description names each request and response shape once (R-SEC-01 sweep and API docs).

The OpenAPI description keeps one component per schema class name: two different shapes with the same
class name in two API modules make one endpoint document (and the scoping sweep send) the other's body.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil

from ninja import Schema

import fangpin.api as api_package


def test_no_two_different_api_shapes_share_a_name():
    shapes: dict[str, dict[str, str]] = {}
    for module_info in pkgutil.iter_modules(api_package.__path__):
        module = importlib.import_module(f"fangpin.api.{module_info.name}")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Schema) and cls.__module__ == module.__name__:
                schema = json.dumps(cls.model_json_schema(), sort_keys=True, ensure_ascii=False)
                shapes.setdefault(name, {})[module.__name__] = schema
    clashes = {name: sorted(by_module) for name, by_module in shapes.items() if len(set(by_module.values())) > 1}
    assert not clashes, f"rename one of each: {clashes}"
