"""Layer definitions kept in the registry itself, for both backends.

A registry holds the definitions of the layers the district added
(:data:`~.tables.DEFINITIONS_TABLE`: name, TOML text, sha256, added_at, os_user). Opening a
registry registers them into the process's catalogue (:func:`register_stored`), so its
layers load, read, export and draw like the built-in ones; :func:`add_definition` (behind
:meth:`Registry.add_layer_definition`) checks a new definition and stores it. Each backend
provides a :class:`DefinitionStore` (``geopackage/definitions.py``,
``postgis/definitions.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from ..catalogue import CATALOGUE, Layer, register_layer
from ..errors import RegistryError, ValidationError
from ..io.types import TIMEZONE
from ..layer_definitions import LayerDefinition, parse_definition, resolve_definition
from .batches import os_user

__all__ = ["DEFINITION_FIELDS", "DefinitionStore", "add_definition", "definition_row",
           "register_stored", "stored_layer"]

#: Columns of the definitions table, in order.
DEFINITION_FIELDS = ("name", "definition", "sha256", "added_at", "os_user")


class DefinitionStore(Protocol):
    """What a backend offers for its definitions table."""

    def stored(self) -> dict[str, str]:
        """Layer name -> definition text, as the registry holds them now."""

    def write(self, row: dict[str, Any], check: Callable[[dict[str, str]], bool]) -> bool:
        """Under the registry's write lock: ``check(stored now)``; store ``row`` if it
        returned True. Whether a row was stored."""


def stored_layer(name: str, text: str, target: str) -> Layer:
    """The layer of a stored definition; a RegistryError if it no longer passes."""
    try:
        return parse_definition(text, f"{target} ({name})").layer
    except ValidationError as exc:
        raise RegistryError(
            f"the registry's definition of layer {name!r} is refused: {exc.message}",
            source=target, problems=exc.problems,
            hint="the definition was changed outside yangpu-gis, or by a newer version; "
            "restore the registry from a backup") from None


def register_stored(texts: dict[str, str], target: str) -> list[Layer]:
    """Register the definitions a registry holds into the catalogue (this process).

    Raises
    ------
    RegistryError
        For a stored definition that does not pass, or one that differs from a layer of
        the same name registered from another registry in this process.
    """
    layers = []
    for name, text in sorted(texts.items()):
        layer = stored_layer(name, text, target)
        try:
            layers.append(register_layer(layer))
        except ValidationError as exc:
            raise RegistryError(
                f"this registry defines layer {name!r} differently from the definition "
                "already registered in this process", source=target,
                hint="open one of the two registries per process (one command, one "
                "notebook kernel)") from exc
    return layers


def definition_row(definition: LayerDefinition) -> dict[str, Any]:
    """The definitions-table row of ``definition``."""
    return {"name": definition.layer.name, "definition": definition.text,
            "sha256": definition.sha256, "added_at": datetime.now(ZoneInfo(TIMEZONE)),
            "os_user": os_user()}


def add_definition(store: DefinitionStore, target: str, source: str | Path) -> Layer:
    """Check a definition (file, shipped name or TOML text), store it in the registry and
    register it; the layer.

    Idempotent: a definition equal (as a layer) to the one stored is not stored again.

    Raises
    ------
    ValidationError
        For a definition that does not pass (:func:`~yangpu_gis.layer_definitions.
        parse_definition`), or a different definition of a layer the registry (or this
        process) already has; nothing is stored.
    RegistryError
        If the registry cannot be written.
    """
    definition = resolve_definition(source)
    layer = definition.layer

    def new(stored: dict[str, str]) -> bool:
        text = stored.get(layer.name)
        if text is not None:
            old = stored_layer(layer.name, text, target)
            if old == layer:
                return False
            raise ValidationError(
                f"the registry already defines layer {layer.name!r} differently; nothing was "
                "changed", source=definition.source,
                hint=f"a layer's definition cannot change once registered (its rows follow "
                f"it): give the new one another name, or compare with `yangpu-gis catalogue "
                f"show {layer.name}`")
        known = CATALOGUE.get(layer.name)
        if known is not None and known != layer:
            raise ValidationError(
                f"a different definition of layer {layer.name!r} is registered in this "
                "process (from another registry); nothing was changed",
                source=definition.source, hint="give the new one another name")
        return True

    if new(store.stored()):  # and again under the lock, by the store
        store.write(definition_row(definition), new)
    return register_layer(layer)
