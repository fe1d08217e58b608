"""Closed books: months payroll has paid (:mod:`.closing`, SEMANTICS.md section 10), kept in
the ledger file (:mod:`.store`, SQLite) that ``close`` writes and ``payouts --ledger`` reads.
"""
