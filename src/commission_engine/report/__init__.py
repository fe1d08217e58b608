"""Rendering: statements as tables, JSON and CSV (:mod:`.render`), and the generic pieces
plan modeling builds its views from (text tables, HTML, DataFrames; :mod:`.tables`,
:mod:`.html`, :mod:`.frames`), with the optional extras they need (:mod:`.extras`).
"""
