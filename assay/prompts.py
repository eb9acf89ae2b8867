"""Prompt templates: user overrides by ``"<agent>.<key>"`` and safe filling. Used by agents and signals alike.

It sits with the run context (below signals and agents), so a judge prompt in ``signals`` and an agent
prompt in ``agents`` share one override mechanism without signals importing agents.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assay.context import RunContext
from assay.errors import InputError


def get_prompt(ctx: RunContext, agent: str, key: str, defaults: Mapping[str, str]) -> str:
    """``ctx.prompts["<agent>.<key>"]`` if the user overrode it, else the module default."""
    return ctx.prompts.get(f"{agent}.{key}", defaults[key])


def fill(template: str, **values: Any) -> str:
    """``template.format(**values)``; a bad placeholder in a user override is an ``InputError``."""
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError) as exc:
        raise InputError(f"prompt template has an unknown or malformed placeholder: {exc}") from None
