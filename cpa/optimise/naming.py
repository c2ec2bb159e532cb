from ..naming import name_areas  # noqa: F401  (the engine names areas through cpa.naming; this re-export goes when it lands)
