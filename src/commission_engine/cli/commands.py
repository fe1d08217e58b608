"""The subcommands, in the order ``--help`` lists them, each with the line it says of it.

Kept apart from the subcommands' modules, which import what they run: the command line
imports only the module of the subcommand given (a run of ``payouts`` loads neither the
HTML statement nor the ledger's machinery), and lists the others from here.
"""

from __future__ import annotations

#: Each subcommand's module (this package's ``<name>.py``) and the line ``--help`` says of it.
COMMANDS: dict[str, str] = {
    "payouts": "compute per-rep, per-period statements from a plan file and an event file",
    "close": "close every open period through a month: its statements become paid history",
    "ingest": "keep a file of new events in the ledger, for the next payouts --ledger and close",
    "compare": "run the same events under each plan of a plan file and compare the outcomes",
    "aging": "age each rep's receivables as of a date, with the commission at risk and DSO",
    "statement": "a rep's statements explained: plans, summary, attainment, each line's basis",
    "overdue": "each rep's invoices past due, with the commission at risk and who works them",
    "customers": "the customer P&L: what each relationship brings in after late payment, "
    "credit notes, write-offs and commission",
}
