"""Rendering: text tables, interactive maps, static PNG, figures, the HTML report, output file sets.

HTML, CSS and JavaScript live in ``templates/`` (package data); colours and
line styles in :mod:`.styles`, shared by every picture.
"""
