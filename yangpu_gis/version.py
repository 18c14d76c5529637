"""The package version, recorded with every batch (a core module: importing it loads nothing)."""

__version__ = "0.1.0"
