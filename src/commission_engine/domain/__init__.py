"""The domain core: the rules of SEMANTICS.md and nothing else.

Money and currencies, plans and their terms, events and their order, the fold over them
(:mod:`.engine`, :mod:`.run`), its working and saved state, statements and netting. It
imports nothing else of the project: no files, no processes, no output. Everything else
uses it through its public names.
"""
