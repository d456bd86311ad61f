"""Reading YAML settings files: one place that turns a missing or malformed file into an InputError."""

from __future__ import annotations

from pathlib import Path

import yaml

from discodock.errors import InputError, one_line


def read_yaml_mapping(path: str | Path, what: str = "config file") -> dict:
    """The mapping in a YAML file (empty file: {}); InputError naming the file otherwise."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, f"{what} not found")
    try:
        values = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise InputError(path, f"not a readable YAML file ({one_line(error)})") from error
    values = {} if values is None else values
    if not isinstance(values, dict):
        raise InputError(path, f"{what} must be a YAML mapping of key: value")
    return values
