"""Readers and writers: the user's files into a Geography, values and plans; atomic file sets.

Every reader checks what it reads and raises :class:`~cpa.errors.CpaError`
with what is wrong, where and how to fix it.
"""

from .boundaries import read_geography, read_links
from .plans import plan_csv_text, plan_geojson_text, read_plan, write_plan_csv, write_plan_geojson
from .values import values_from_table

__all__ = ["plan_csv_text", "plan_geojson_text", "read_geography", "read_links", "read_plan", "values_from_table",
           "write_plan_csv", "write_plan_geojson"]
