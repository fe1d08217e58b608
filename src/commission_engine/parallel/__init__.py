"""The speed machinery: forking (:mod:`.pipes`), the one wire format between processes
(:mod:`.wire`), a run split by rep (:mod:`.by_rep`), a file read in parts
(:mod:`.read_in_parts`) and the garbage collector's pause (:mod:`.collector`).

It uses the domain through its public names only; :func:`commission_engine.compute` and
:func:`commission_engine.read_events` choose when to use it.
"""
