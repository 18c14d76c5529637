"""Query capabilities of the registry backends: the PostGIS permit conflict search.

(Moved from the tests of ``analysis/excavation_postgis.py``, now
``Registry.permit_conflict_pairs``.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from yangpu_gis.analysis.excavation import conflicts
from yangpu_gis.errors import RegistryError, ValidationError

from .test_excavation import random_permits


@pytest.mark.postgis
def test_postgis_path_equals_in_memory(pg_url):
    from yangpu_gis import open_registry

    permits = random_permits(21, n=120)
    permits["status"] = np.where(np.arange(len(permits)) % 17 == 0, "已撤销", "已完工")
    with open_registry(pg_url) as reg:
        reg.load(permits, "excavation_permits", mode="replace")
        stored = reg.read("excavation_permits")
        for distance_m, repeat_days in ((0.0, 365), (3.0, 90), (0.0, 0)):
            mem = conflicts(stored, distance_m=distance_m, repeat_days=repeat_days)
            sql = reg.permit_conflict_pairs(distance_m=distance_m, repeat_days=repeat_days)
            pd.testing.assert_frame_equal(sql.drop(columns="distance_m"),
                                          mem.drop(columns="distance_m"))
            np.testing.assert_allclose(sql["distance_m"], mem["distance_m"], atol=1e-9)
            assert len(mem) > 0
        active = stored[stored["status"] != "已撤销"].reset_index(drop=True)
        pd.testing.assert_frame_equal(
            reg.permit_conflict_pairs(distance_m=0.0, repeat_days=365, exclude_status=["已撤销"]).drop(columns="distance_m"),
            conflicts(active).drop(columns="distance_m"))


def test_geopackage_registry_refuses_the_sql_path(tmp_path):
    from yangpu_gis import open_registry

    reg = open_registry(tmp_path / "r.gpkg", create=True)
    with pytest.raises(RegistryError, match="needs a PostGIS registry"):
        reg.permit_conflict_pairs(distance_m=0.0, repeat_days=365)
    with pytest.raises(ValidationError):
        reg.permit_conflict_pairs(distance_m=-1.0, repeat_days=365)
