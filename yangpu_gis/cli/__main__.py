"""``python -m yangpu_gis.cli``."""

from .app import main

main()
