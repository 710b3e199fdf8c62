"""The printable parts: their parametric designs, STL validation and figures, and slicing.

`models/` holds the generated STL files and their catalogue; this package owns the code that
generates them (`generate`, `designs`, `extrusion`), reads the catalogue (`catalogue`),
validates any STL and derives its figures (`analysis`) and slices plates with PrusaSlicer
(`slicing`). Everything here except `generate`, `store_upload` and `slice_plate` is pure.
"""
