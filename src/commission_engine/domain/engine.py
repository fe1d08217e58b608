"""The fold: events in the spec's order, one handler per event type, lines out.

:class:`Engine` applies events to an :class:`~.state.WorkingState`. Each handler
checks the event against the book (SEMANTICS.md section 8) and returns a
:class:`~.errors.Rejection` without touching anything, or applies it and posts
the lines it causes. Posting is one mechanism for every event: recompute the
invoice's cumulative targets per rep, round them, and post the difference from
what was posted before (SEMANTICS.md sections 3-5), so lines never drift.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable
from decimal import Decimal, localcontext

from .disputes import days_paused
from .errors import Rejection
from .events import (
    SORT_KEY,
    Adjustment,
    BaseEvent,
    CreditNote,
    Dispute,
    DisputeResolved,
    Invoice,
    Payment,
    PaymentReversal,
    WriteOff,
)
from .incentives import collection_bonuses
from .money import (
    EXACT,
    ONE,
    ZERO,
    Exact,
    at_least_zero,
    attained_plus,
    canonical,
    exact_product,
    exact_ratio,
    exact_sum,
    is_whole_minor_units,
    show,
    zero,
)
from .plans import PlanBook
from .rating import commission_in_bands, commission_times_amount, quota_period_of
from .statements import (
    LedgerLine,
    LineKind,
    PeriodTotals,
    Statement,
    last_day,
    net_periods,
    period_of,
)
from .targets import Terms, forfeited_base, late_bases, payable_base, terms_by_plan
from .working import InvoiceState, Position, RepAccount, WorkingState


def arrange(events: list[BaseEvent]) -> tuple[list[Invoice], dict[str, dt.date]]:
    """Sort ``events`` in place, in the spec's order; their invoices, and each one's booking.

    The bookings map an invoice id to the date of its first invoice event, so that an event
    dated before its invoice says so rather than "unknown invoice".
    """
    events.sort(key=SORT_KEY)
    invoices = [event for event in events if type(event) is Invoice]
    # The earliest booking of an id is written last, so it is the one kept.
    return invoices, {invoice.invoice: invoice.date for invoice in reversed(invoices)}


class Engine:
    """Applies events, already in the spec's order, to a book of invoices."""

    def __init__(
        self, plans: PlanBook, book: WorkingState, bookings: dict[str, dt.date] | None = None
    ) -> None:
        self.plans = plans
        self.plan_for = plans.schedule().plan_for
        self.terms = terms_by_plan(plans)
        # Rep -> (since, until, terms, ledger key): the terms of the plan in force on the last
        # day looked up, kept while an invoice's day falls inside (see _terms_span; a bisect
        # of the schedule and the plan's terms looked up were a Python call and 1,300
        # instructions an invoice), and the key of the rep's ledger in their currency.
        self._spans: dict[str, _Span] = {}
        self.book = book
        # Invoice id -> date, for invoices of this run: an event dated before its invoice
        # sorts before it, and deserves that reason rather than "unknown invoice".
        self.bookings = bookings or {}
        self._today: dt.date | None = None  # the day of the last accepted event
        self._period_day, self._period = dt.date.min, period_of(dt.date.min)  # (_totals)
        self._handlers: dict[type[BaseEvent], Callable[[BaseEvent], Rejection | None]] = {
            Invoice: self._invoice,  # type: ignore[dict-item]
            Dispute: self._dispute,  # type: ignore[dict-item]
            DisputeResolved: self._dispute_resolved,  # type: ignore[dict-item]
            CreditNote: self._credit_note,  # type: ignore[dict-item]
            Payment: self._payment,  # type: ignore[dict-item]
            PaymentReversal: self._payment_reversal,  # type: ignore[dict-item]
            WriteOff: self._write_off,  # type: ignore[dict-item]
            Adjustment: self._adjustment,  # type: ignore[dict-item]
        }
        # Collection bonuses are measured at month ends only when some plan pays one.
        self.pays_bonuses = any(terms.bonus is not None for terms in self.terms.values())

    # The calendar --------------------------------------------------------------------

    def advance_to(self, day: dt.date) -> None:
        """Fire every past-due clawback dated on or before ``day``."""
        with localcontext(EXACT):
            self._advance_to(day)

    def _advance_to(self, day: dt.date) -> None:
        if self.pays_bonuses:
            book = self.book
            # Each month end on the way: that day's clawbacks, then its bonuses (11.3).
            month_end = book.bonus_next or last_day(period_of(day + _ONE_DAY))
            while month_end <= day:
                self._fire_clawbacks(month_end)
                self._pay_collection_bonuses(month_end)
                month_end = last_day(period_of(month_end + _ONE_DAY))
            book.bonus_next = month_end
        if self.book.clawbacks_due.first_day <= day:  # (most days none falls due: no calls)
            self._fire_clawbacks(day)

    def _pay_collection_bonuses(self, day: dt.date) -> None:
        """Post the collection bonuses of the bonus periods ending on ``day`` (11.3)."""
        for rep, currency, amount, detail in collection_bonuses(
            self.book, self.plan_for, self.terms, day
        ):
            totals = self._totals(self._ledger(rep, currency, day), day)
            amount += zero(currency)  # written with the currency's digits
            totals.gross += amount
            totals.lines.append(
                LedgerLine(
                    rep=rep,
                    currency=currency,
                    date=day,
                    kind="collection_bonus",
                    amount=amount,
                    event=None,
                    invoice=None,
                    detail=detail,
                )
            )

    def _fire_clawbacks(self, day: dt.date) -> None:
        book = self.book
        take_due, invoices = book.clawbacks_due.take_due, book.invoices
        while (due := take_due(day)) is not None:
            when, clawbacks = due
            for invoice_id, index in clawbacks:
                invoice = invoices.get(invoice_id) or book.resumed_invoice(invoice_id)
                assert invoice is not None  # only booked invoices have clawbacks due
                position = invoice.positions[index]
                # A dispute stops the clock; its resolution sets a later date (11.6) and this
                # entry is then stale. (_come_due's test first: most fall due on settled
                # invoices, and then only mark the position.)
                if (
                    invoice.disputed_since is None
                    and position.clawback_date == when
                    and not position.past_due
                ):
                    if invoice.open:
                        self._come_due(invoice, position, when)
                    else:
                        position.past_due = True

    def _come_due(self, invoice: InvoiceState, position: Position, when: dt.date) -> None:
        if not position.past_due:
            position.past_due = True
            # Settled (nothing open), the clawback takes nothing: every target is what was
            # last posted (d multiplies the open balance), so there is nothing to recompute.
            # Most clawbacks fall due on invoices paid by then.
            if invoice.open:
                self._post(invoice, position, when, "past_due", None)

    # The fold ------------------------------------------------------------------------

    def fold(
        self,
        events: Iterable[tuple[int, BaseEvent]],
        reject: Callable[[int, Rejection], None],
    ) -> dt.date | None:
        """Apply numbered ``events``, sorted in the spec's order; the date of the last applied.

        Past-due clawbacks fire after the events of their day. Each rejected event is passed
        to ``reject`` with its number; to stop the fold, ``reject`` raises. (``reject``
        leaves the book alone: the date returned is read off its list of applied events,
        which reading its ``seen`` empties.)
        """
        applied_events = self.book.applied  # (the book's ``seen`` adds them when read)
        applied, before = applied_events.append, len(applied_events)
        handlers = self._handlers  # (what apply does, without a call of its own an event)
        with localcontext(EXACT):  # sums and products never round (money.EXACT)
            for number, event in events:
                rejection = handlers[type(event)](event)
                if rejection is None:
                    applied(event)
                else:
                    reject(number, rejection)
        # The last applied is the last appended (read once, not noted an event).
        return applied_events[-1].date if len(applied_events) > before else None

    def _enter(self, day: dt.date) -> None:
        """An event of ``day`` is accepted: the calendar first catches up to the day before.

        Called by each handler once its checks have passed, before it changes anything: a
        rejected event moves nothing, not even the calendar (a clawback due after the last
        applied event's date is after the run's end, and must not be posted).
        """
        if day != self._today:
            self._today = day
            self._advance_to(day - _ONE_DAY)

    def statements(self, through: dt.date, reps: Collection[str] | None = None) -> list[Statement]:
        """Every rep's statements through ``through`` (or only those of ``reps``), sorted.
        Resumed over kept totals: those of the reps posted to since, from the first period
        after the state's end, balances brought in left out (``books`` nets those)."""
        recovery_terms = self.plans.schedule().recovery_terms
        draws = self.plans.draw_terms()
        statements: list[Statement] = []
        # Resumed over kept totals, the periods before ``opened`` are not in the ledgers.
        opened = self.book.opened or ""
        with localcontext(EXACT):
            for (rep, currency), ledger in self.book.ledgers.items():
                if reps is None or rep in reps:
                    statements.extend(
                        net_periods(
                            rep, currency, ledger.periods, max(ledger.first_period, opened),
                            through, recovery_terms, draws=draws,
                        )
                    )  # fmt: skip
        statements.sort(key=lambda s: (s.rep, s.period, s.currency))
        return statements

    # Handlers, one per event type ----------------------------------------------------

    def apply(self, event: BaseEvent) -> Rejection | None:
        """Apply one event (dated on or after everything applied before); say why not."""
        return self._handlers[type(event)](event)

    def _invoice(self, event: Invoice) -> Rejection | None:
        book, invoice_id = self.book, event.invoice
        if invoice_id in book.invoices or invoice_id in book.resumed:
            return _reject(event, "invoice", f"invoice {invoice_id} already exists")
        day, sole = event.date, event.rep
        credited: list[tuple[str, Decimal, Terms]] | None = None
        if event.splits is None and sole is not None:
            # A sole rep (nearly every invoice): its one share, ONE, checked and booked as the
            # loops below would, without their lists and tuples (2,800 instructions an
            # invoice). (_terms_on written out.)
            since, until, first, ledger_key = self._spans.get(sole, _NO_SPAN)
            if not since <= day < until:
                since, until, first, ledger_key = self._terms_span(sole, day)
            if first is None:
                return _no_plan(event, sole, day)
            currency = event.currency or first.currency
            if first.currency != currency:
                return _other_currency(event, currency, sole, first)
        else:
            # Each rep's share and plan's terms. (Not a zip of shares and plans: zip's strict=
            # is a keyword argument, and a call with one builds a dict, twice an invoice.)
            credited = []
            for rep, share in event.shares():
                terms = self._terms_on(rep, day)
                if terms is None:
                    return _no_plan(event, rep, day)
                credited.append((rep, share, terms))
            first = credited[0][2]  # sets the currency, if the invoice does not, and the due date
            currency = event.currency or first.currency
            for rep, _, terms in credited:
                if terms.currency != currency:
                    return _other_currency(event, currency, rep, terms)
        # (Each written out: a loop over (field, value) pairs builds them an invoice. And
        # is_whole_minor_units' first test with them, the currency's digits read from the
        # exponent: nearly every amount passes it, a call fewer each; the rest ask it.)
        unit = first.unit  # quantum(currency): every rep's plan pays in it
        amount, tax, cost = event.amount, event.tax, event.cost
        as_written = amount.same_quantum(unit)  # (its currency's digits: nearly every amount)
        if amount and not (as_written or is_whole_minor_units(amount, currency)):
            return _not_whole(event, "amount", currency)  # (zero is whole: no check)
        if tax and not (tax.same_quantum(unit) or is_whole_minor_units(tax, currency)):
            return _not_whole(event, "tax", currency)
        if cost and not (cost.same_quantum(unit) or is_whole_minor_units(cost, currency)):
            return _not_whole(event, "cost", currency)
        if day is not self._today and day != self._today:  # (as in _begin: most share it)
            self._enter(day)
        # The revenue base, once an invoice: the amount itself where the tax is a zero of
        # its unit's exponent or above (x - 0 is x then, exponent and all: an invoice's
        # amount is positive), held by each position rather than a copy apiece. (A zero's
        # adjusted() is its exponent: no same_quantum call, which costs more than the
        # subtraction.)
        revenue = (
            amount
            if not tax and as_written and tax.adjusted() >= first.unit_exponent
            else amount - tax
        )
        due = event.due or day + first.payment_terms
        # (Made with positional arguments, each named: a class called with keywords builds a
        # dict of them, 3,000 instructions. A Struct: made in C; its position, see _position.)
        invoice = InvoiceState(
            invoice_id,  # id
            day,  # date
            currency,
            amount,
            due,
            [],  # positions
            # open: state.open_balance(amount, ZERO, ZERO, ZERO), amount - ZERO: the amount
            # itself, exponent and all, where its exponent is its unit's (not above zero).
            amount if as_written else amount - ZERO,
        )
        book.invoices[invoice_id] = invoice
        # Each position made and booked in one pass: its booking reads nothing of the others,
        # nor of attainment, which making the next one moves.
        if credited is None:  # (a sole rep: see above)
            assert sole is not None and ledger_key is not None
            invoice.positions.append(
                self._position(event, invoice, 0, sole, ONE, first, revenue, ledger_key)
            )
            return None
        # (Counted, not enumerated: an enumerate made and freed cost an invoice 750
        # instructions.)
        index = 0
        for rep, share, terms in credited:
            invoice.positions.append(
                self._position(event, invoice, index, rep, share, terms, revenue, (rep, currency))
            )
            index += 1  # noqa: SIM113 - see above
        return None

    def _terms_on(self, rep: str, day: dt.date) -> Terms | None:
        """The terms of ``rep``'s plan in force on ``day`` (``None``: no plan in force), from
        the span kept for the rep where ``day`` falls inside it (see :meth:`_terms_span`)."""
        since, until, terms, _ = self._spans.get(rep, _NO_SPAN)
        if not since <= day < until:
            since, until, terms, _ = self._terms_span(rep, day)
        return terms

    def _terms_span(self, rep: str, day: dt.date) -> _Span:
        """The terms of ``rep``'s plan in force on ``day`` (``None``: no plan in force), the
        days they stay in force, and the key of the rep's ledger in the plan's currency,
        ``(since, until, terms, (rep, currency))``; kept for the next invoice."""
        since, until, plan = self.plans.schedule().span_of(rep, day)
        terms = None if plan is None else self.terms[plan.id]
        key = None if terms is None else (rep, terms.currency)
        span = self._spans[rep] = (since, until, terms, key)
        return span

    def _position(
        self,
        event: Invoice,
        invoice: InvoiceState,
        index: int,
        rep: str,
        share: Decimal,
        terms: Terms,
        revenue: Decimal,
        ledger_key: tuple[str, str],
    ) -> Position:
        """Rep ``rep``'s part of ``invoice`` (its position ``index``), booked: its credited
        base and commission, with ``revenue`` the invoice's amount less tax, the targets
        posted at booking, and its clawback on the calendar. ``ledger_key`` is ``(rep,
        currency)``, the rep's ledger's key (a sole rep's kept with their terms' span, not
        made and freed an invoice)."""
        base = revenue
        if terms.on_gross_profit:
            base -= event.cost
            if not base > ZERO:  # max(ZERO, base), written out (see commission_in_bands)
                base = ZERO
        credited = base if share is ONE else share * base  # (1*x is x, exponent and all)
        day = event.date
        quota_period = terms.quota_periods.get(day) or terms.quota_period_on(day)
        commission: Exact = ZERO
        if terms.earns_on_collection:
            pass
        elif terms.rate is not None:
            commission = terms.rate * credited
        else:
            key = (rep, terms.plan_id, quota_period)
            attainment = self.book.attainment
            attained = attainment.get(key, ZERO)
            # (Terms.commission written out: two calls fewer a tiered invoice.)
            bands = terms.bands if terms.bands_by_quarter is None else terms.bands_on(day)
            commission = commission_in_bands(bands, attained, credited)
            attainment[key] = attained_plus(attained, credited)
        after = terms.clawback_after
        clawback_date, past_due = None, False
        if after is not None:
            clawback_date = invoice.due + after
            if clawback_date > day:  # (its add, in C: see ClawbackCalendar)
                self.book.clawbacks_due[clawback_date].append((invoice.id, index))
            else:
                past_due = True  # already past due when booked: nothing to advance
        currency = invoice.currency
        ledger = self.book.ledgers.get(ledger_key) or self._ledger(rep, currency, day)
        if terms.earns_on_collection or terms.late is not None:
            # Earned on cash, or scaled by lateness: _post computes each target, once the
            # position is made with nothing posted (the defaults of a Position).
            posted_by_post = True
            payable = forfeited = held = total = ZERO
            at_net = at_written_off = on_payable = None
        else:
            # Booked, the way _post would at booking but where each target's argument is
            # settled: net is the amount itself, nothing is paid or written off, nothing
            # posted yet. Each target is computed once, none compared with a last value
            # (there is none), and the position made with them, each field written once.
            posted_by_post = False
            round_ = terms.round
            amount = invoice.amount
            total = (  # round(u*A): C rounded (a Decimal without Rounding.round's call)
                round_.quantize(commission, round_.quantum)
                if type(commission) is Decimal
                else round_.round(commission)
            )
            if terms.advances_all and not past_due:  # (the base is net: round(u*net))
                # Nothing held: total - total, the rounded zero (both rounded to the minor unit).
                on_payable, payable, held = amount, total, round_.zero
            else:
                on_payable = payable_base(
                    terms, amount, invoice.paid, invoice.written_off, past_due
                )
                payable = (
                    total
                    if on_payable is amount
                    else round_.times_ratio(commission, on_payable, amount)
                )
                held = total - payable  # (and nothing forfeited: its rounded zero)
            forfeited, at_net, at_written_off = round_.zero, amount, invoice.written_off
            if payable or held:  # (_post's posting, from what was posted: nothing)
                totals = self._totals(ledger, day)
                totals.held_change += held
                if payable:
                    totals.gross += payable
                    line = (rep, currency, day, "advance", payable, event.id, invoice.id, None)
                    totals.lines.append(_new_tuple(LedgerLine, line))
        # Position(rep, terms, ...) written out: a class called with sixteen arguments builds
        # their tuple, a second array with the object first and the frame of its __init__,
        # 2,300 instructions; the object and its fields written here cost 1,000. Every field
        # is written, those of section 11 with Position's defaults (nothing earned on cash,
        # paid late or with the order yet): tests/test_rules.py holds a booked position to
        # one the class makes.
        position = _new_object(Position)
        position.rep = rep
        position.terms = terms
        position.share = share
        position.credited_base = credited
        position.commission = commission
        position.booking_quota_period = quota_period
        position.clawback_date = clawback_date
        position.past_due = past_due
        position.payable = payable
        position.forfeited = forfeited
        position.held = held
        position.ledger = ledger
        position.at_net = at_net
        position.at_written_off = at_written_off
        position.at_base = on_payable
        position.total_at_net = total
        position.realized_times_amount = ZERO
        position.paid_factored = ZERO
        position.late_lost_times_amount = ZERO
        position.cash_with_order = ZERO
        position.cash_with_order_paid = ZERO
        if posted_by_post:
            self._post(invoice, position, day, "advance", event.id)
        return position

    def _credit_note(self, event: CreditNote) -> Rejection | None:
        invoice = self._invoice_for(event)
        if not isinstance(invoice, InvoiceState):  # (its own type: no __instancecheck__)
            return invoice
        open_ = invoice.open
        if event.amount > open_:
            return _exceeds(event, "credit note", event.amount, invoice, "open balance", open_)
        self._begin(invoice, event.date)
        invoice.credited += event.amount
        invoice.open -= event.amount
        for position in invoice.positions:
            if position.plan.earn_on == "invoice" and position.plan.tiers:
                key = (position.rep, position.plan.id, position.booking_quota_period)
                lowered = exact_ratio(position.credited_base * event.amount, invoice.amount)
                attained = self.book.attainment.get(key, ZERO)
                self.book.attainment[key] = attained_plus(attained, -lowered)
        self._post_all(invoice, event, "credit_note")
        return None

    def _payment(self, event: Payment) -> Rejection | None:
        invoice = self._invoice_for(event)
        if not isinstance(invoice, InvoiceState):  # (its own type: no __instancecheck__)
            return invoice
        amount, day = event.amount, event.date
        open_ = invoice.open
        written_off = invoice.written_off
        limit = open_ + written_off if written_off else open_  # (most have none written off)
        if amount > limit:
            return _exceeds(
                event, "payment", amount, invoice, "open balance plus written-off", limit
            )
        self._begin(invoice, day)
        # Beyond the open balance, a recovery: only where something is written off (else the
        # limit above is the open balance).
        recovers = amount > open_ if written_off else False
        invoice.paid += amount
        if recovers:
            recovered = amount - open_
            invoice.written_off -= recovered
            invoice.open = open_ - amount + recovered
        else:
            invoice.open = open_ - amount
        for position in invoice.positions:
            terms = position.terms
            if terms.earns_on_collection:
                credit_times_amount = position.credited_base * amount  # s*B*p, exact
                earned: Exact
                if terms.rate is not None:  # rate*s*B*p: no quotient at all
                    earned = terms.rate * credit_times_amount
                else:
                    quota_period = quota_period_of(day, terms.quota_period)
                    key = (position.rep, terms.plan_id, quota_period)
                    attained = self.book.attainment.get(key, ZERO)
                    bands = terms.bands if terms.bands_by_quarter is None else terms.bands_on(day)
                    earned = commission_times_amount(
                        bands, attained, credit_times_amount, invoice.amount
                    )
                    credit = exact_ratio(credit_times_amount, invoice.amount)
                    self.book.attainment[key] = attained_plus(attained, credit)
                if terms.late is not None:  # each payment's commission scaled by its factor
                    factor = terms.late_factor((day - invoice.due).days)
                    lost = exact_product(earned, ONE - factor)
                    position.late_lost_times_amount = exact_sum(
                        position.late_lost_times_amount, lost
                    )
                    earned = exact_product(earned, factor)
                position.realized_times_amount = exact_sum(position.realized_times_amount, earned)
                self._post(invoice, position, day, "collection", event.id)
            else:
                if terms.late is not None:
                    factor = terms.late_factor((day - invoice.due).days)
                    position.paid_factored = exact_sum(position.paid_factored, factor * amount)
                    lost = exact_product(position.commission, terms.cash_share * (ONE - factor))
                    position.late_lost_times_amount = exact_sum(
                        position.late_lost_times_amount, exact_product(lost, amount)
                    )
                # Fully advanced and not past due, a payment that recovers nothing moves no
                # target (Terms.advances_all): _post would recompute the payable base to find
                # it is net's as posted, and post nothing. (A third of few-reps' events; what
                # a line would be called is decided only for a posting.)
                if not terms.advances_all or position.past_due or recovers:
                    kind: LineKind = (
                        "reinstatement"
                        if (position.past_due and open_ > ZERO and terms.advance > ZERO)
                        or (recovers and position.commission and terms.write_off_share)
                        else "release"
                    )
                    self._post(invoice, position, day, kind, event.id)
            if (
                terms.cash_with_order is not None
                and day <= invoice.date + terms.cash_with_order_days
            ):
                position.cash_with_order = exact_sum(position.cash_with_order, amount)
                self._post_cash_with_order(invoice, position, event)
        return None

    def _payment_reversal(self, event: PaymentReversal) -> Rejection | None:
        invoice = self._invoice_for(event)
        if not isinstance(invoice, InvoiceState):  # (its own type: no __instancecheck__)
            return invoice
        if event.amount > invoice.paid:
            return _exceeds(
                event, "payment reversal", event.amount, invoice, "amount paid", invoice.paid
            )
        self._begin(invoice, event.date)
        paid, left = invoice.paid, invoice.paid - event.amount
        for position in invoice.positions:
            plan = position.plan
            if plan.earn_on == "collection":
                # At the invoice's average realized rate: what is left of the realized
                # commission is its share left/paid (exact: flat plans stay decimal).
                realized = position.realized_times_amount
                position.realized_times_amount = exact_ratio(exact_product(realized, left), paid)
                if plan.tiers:  # the credited base taken off the reversal period's attainment
                    key = (position.rep, plan.id, quota_period_of(event.date, plan.quota_period))
                    lowered = exact_ratio(position.credited_base * event.amount, invoice.amount)
                    attained = self.book.attainment.get(key, ZERO)
                    self.book.attainment[key] = at_least_zero(attained_plus(attained, -lowered))
            terms = position.terms
            if terms.late is not None:  # paid_f, and what lateness cost, lowered pro rata
                position.paid_factored = _pro_rata(position.paid_factored, left, paid)
                position.late_lost_times_amount = _pro_rata(
                    position.late_lost_times_amount, left, paid
                )
        invoice.paid = left
        invoice.open += event.amount
        self._post_all(invoice, event, "payment_reversal")
        for position in invoice.positions:
            if position.terms.cash_with_order is not None and position.cash_with_order:
                position.cash_with_order = _pro_rata(position.cash_with_order, left, paid)
                self._post_cash_with_order(invoice, position, event)
        return None

    def _write_off(self, event: WriteOff) -> Rejection | None:
        invoice = self._invoice_for(event)
        if not isinstance(invoice, InvoiceState):  # (its own type: no __instancecheck__)
            return invoice
        open_ = invoice.open
        if open_ <= ZERO:
            return _reject(
                event, "invoice", f"nothing is open on invoice {invoice.id} to write off"
            )
        amount = open_ if event.amount is None else event.amount
        if amount > open_:
            return _exceeds(event, "write-off", amount, invoice, "open balance", open_)
        self._begin(invoice, event.date)
        invoice.written_off += amount
        invoice.open -= amount
        self._post_all(invoice, event, "clawback")
        return None

    def _dispute(self, event: Dispute) -> Rejection | None:
        invoice, rejection = self._named_invoice(event)
        if invoice is None:
            return rejection
        if invoice.disputed_since is not None:
            return _reject(
                event,
                "invoice",
                f"invoice {invoice.id} is already in dispute since {invoice.disputed_since}",
            )
        self._enter(event.date)
        invoice.disputed_since = event.date
        return None

    def _dispute_resolved(self, event: DisputeResolved) -> Rejection | None:
        invoice, rejection = self._named_invoice(event)
        if invoice is None:
            return rejection
        since = invoice.disputed_since
        if since is None:
            return _reject(event, "invoice", f"invoice {invoice.id} has no open dispute to resolve")
        self._enter(event.date)
        invoice.disputed_since = None
        # The days of the dispute from the due date on do not count as past due: the
        # clawback moves later by as many (SEMANTICS.md 11.6).
        paused = dt.timedelta(days=days_paused(since, event.date, invoice.due))
        for index, position in enumerate(invoice.positions):
            if position.clawback_date is not None and not position.past_due:
                position.clawback_date += paused
                self.book.clawbacks_due.add(position.clawback_date, invoice.id, index)
        return None

    def _post_cash_with_order(
        self, invoice: InvoiceState, position: Position, event: Payment | PaymentReversal
    ) -> None:
        """Post the change of the position's cash-with-order target (SEMANTICS.md 11.1):
        ``rate * s * B * q / A``, rounded like every target."""
        terms = position.terms
        rate = terms.cash_with_order
        assert rate is not None
        target = terms.round.ratio(
            exact_product(rate * position.credited_base, position.cash_with_order), invoice.amount
        )
        change = target - position.cash_with_order_paid
        position.cash_with_order_paid = target
        if change:
            assert position.ledger is not None
            totals = self._totals(position.ledger, event.date)
            totals.gross += change
            totals.lines.append(
                LedgerLine(
                    rep=position.rep,
                    currency=invoice.currency,
                    date=event.date,
                    kind="cash_with_order",
                    amount=change,
                    event=event.id,
                    invoice=invoice.id,
                    detail=None,
                )
            )

    def _adjustment(self, event: Adjustment) -> Rejection | None:
        plan = self.plan_for(event.rep, event.date)
        if plan is None:
            return _reject(event, "rep", f"rep {event.rep} has no plan in force on {event.date}")
        currency = event.currency or plan.currency
        if currency != plan.currency:
            return _reject(
                event,
                "currency",
                f"adjustment is in {currency} but rep {event.rep}'s plan {plan.id} pays in "
                f"{plan.currency}",
            )
        if not is_whole_minor_units(event.amount, currency):
            return _not_whole(event, "amount", currency)
        self._enter(event.date)
        ledger = self._ledger(event.rep, currency, event.date)
        line = LedgerLine(
            rep=event.rep,
            currency=currency,
            date=event.date,
            kind="adjustment",
            amount=event.amount,
            event=event.id,
            invoice=None,
            detail=event.reason,
        )
        totals = self._totals(ledger, event.date)
        totals.gross += event.amount
        totals.lines.append(line)
        return None

    # Shared mechanics ----------------------------------------------------------------

    def _named_invoice(
        self, event: CreditNote | Payment | PaymentReversal | WriteOff | Dispute | DisputeResolved
    ) -> tuple[InvoiceState | None, Rejection | None]:
        """The invoice ``event`` names, or why not: unknown, or dated before it."""
        # (A resumed invoice becomes a working one when first used: a dict lookup first.)
        invoice = self.book.invoices.get(event.invoice) or self.book.resumed_invoice(event.invoice)
        booked = invoice.date if invoice is not None else self.bookings.get(event.invoice)
        if booked is not None and event.date < booked:
            return None, _reject(
                event, "date", f"dated before its invoice {event.invoice} of {booked}"
            )
        if invoice is None:
            return None, _reject(event, "invoice", f"unknown invoice {event.invoice}")
        return invoice, None

    def _invoice_for(
        self, event: CreditNote | Payment | PaymentReversal | WriteOff
    ) -> InvoiceState | Rejection:
        """:meth:`_named_invoice`, and the event's amount in whole minor units of it: the
        invoice, or why not (no pair of them: the handler tells which by its type)."""
        # (Its lookup written out, and _named_invoice asked only for a rejection's reason:
        # one call an event rather than two. Looking up is free of side effects once the
        # invoice is working. Not a subscript and a KeyError: in a resumed run, most invoices
        # are first used by an event, and an exception costs twenty lookups.)
        invoice = self.book.invoices.get(event.invoice) or self.book.resumed_invoice(event.invoice)
        if invoice is None or event.date < invoice.date:
            rejection = self._named_invoice(event)[1]
            assert rejection is not None  # (the same tests, with their reasons)
            return rejection
        amount = event.amount
        # (The first test written out, as in _invoice, with the unit of its first position's
        # plan: every plan of an invoice pays in its currency, checked when it was booked,
        # and a resumed run's plans are the saved run's, by digest: EngineState.plans.)
        if amount is not None and not (
            amount.same_quantum(invoice.positions[0].terms.unit)
            or is_whole_minor_units(amount, invoice.currency)
        ):
            return _not_whole(event, "amount", invoice.currency)
        return invoice

    def _begin(self, invoice: InvoiceState, day: dt.date) -> None:
        """Start applying an accepted event to ``invoice`` on ``day``."""
        # (Most events fall on the day of the one before, mostly the very date object the
        # reader shared among them: no comparison, and no call.)
        if day is not self._today and day != self._today:
            self._enter(day)
        # Its reps' ledgers exist already: the invoice, applied before, touched them.
        # An event on the very day a clawback falls due is computed with d = 1; post the
        # past-due part first, on the state before the event, so each line says what it is.
        for position in invoice.positions:
            when = position.clawback_date
            # (A dispute stops the clock: 11.6.)
            # (The date first: most payments come before their clawback date.)
            if (
                when is not None
                and when <= day
                and not position.past_due
                and invoice.disputed_since is None
            ):
                self._come_due(invoice, position, when)

    def _post_all(self, invoice: InvoiceState, event: BaseEvent, kind: LineKind) -> None:
        for position in invoice.positions:
            self._post(invoice, position, event.date, kind, event.id)

    def _post(
        self,
        invoice: InvoiceState,
        position: Position,
        day: dt.date,
        kind: LineKind,
        event_id: str | None,
    ) -> None:
        """Recompute the position's cumulative targets; post what changed since last time."""
        terms = position.terms
        round_ = terms.round
        if terms.earns_on_collection:
            payable = round_.ratio(position.realized_times_amount, invoice.amount)
            forfeited = held = ZERO
        else:
            # Each target is recomputed (a division and a rounding) only when its own
            # argument moved since the last post: round(u*net) with net, forfeited with
            # written_off, payable with its base. Otherwise it is what was posted; the
            # three posted targets always sum to round(u*net).
            commission = position.commission
            amount = invoice.amount
            credited = invoice.credited
            net = amount - credited if credited else amount  # (most invoices are never credited)
            written_off = invoice.written_off
            # u*x rounded (round_.times_ratio): (C*x)/A, a product and one quotient rounded once.
            # (`is None or`: comparing a Decimal with None is ten times slower. And the same
            # object first: net is the invoice's amount itself until it is credited.)
            at = position.at_net
            moved = at is not net and (at is None or net != at)
            if moved:
                position.at_net = net
                # (u*A is C rounded, times_ratio's own test, where net is the amount itself.)
                if net is amount:
                    position.total_at_net = round_.round(commission)
                else:
                    position.total_at_net = round_.times_ratio(commission, net, amount)
            total = position.total_at_net
            if terms.late is None:
                forfeited = position.forfeited
                at = position.at_written_off
                if at is not written_off and (at is None or written_off != at):
                    position.at_written_off = written_off
                    # (Nothing written off, nothing forfeited: no base to compute.)
                    lost = forfeited_base(terms, written_off) if written_off else ZERO
                    forfeited = (
                        round_.times_ratio(commission, lost, amount) if lost else round_.zero
                    )
                    moved = True
                base = payable_base(terms, net, invoice.paid, written_off, position.past_due)
                payable = position.payable
                at = position.at_base
                if at is not base and (at is None or base != at):
                    position.at_base = base
                    # (Fully advanced and not past due, the base is net itself: round(u*net).)
                    payable = total if base is net else round_.times_ratio(commission, base, amount)
                elif not moved:
                    # Nothing recomputed: the three targets are the ones posted last time,
                    # held their remainder, and no line is due (a payment on a fully
                    # advanced invoice, say).
                    return
            else:  # a late-payment schedule (11.2): both exact, recomputed each time
                on_payable, on_forfeited = late_bases(
                    terms, net, invoice.paid, written_off, position.past_due,
                    position.paid_factored,
                )  # fmt: skip
                payable = round_.ratio(exact_product(commission, on_payable), amount)
                forfeited = round_.ratio(exact_product(commission, on_forfeited), amount)
            held = total - payable
            if forfeited is not round_.zero:  # (the rounded zero subtracted changes nothing)
                held -= forfeited
        # Subtracting the ZERO a position is booked with changes nothing either, not even the
        # exponent (every target is rounded to the minor unit, an exponent of 0 or below).
        posted = position.payable
        line_amount = payable if posted is ZERO else payable - posted
        held_change = held if position.held is ZERO else held - position.held
        position.payable, position.forfeited, position.held = payable, forfeited, held
        if line_amount or held_change:
            assert position.ledger is not None  # set when the invoice was applied
            # (_totals written out: a call a line less.)
            if day is not self._period_day and day != self._period_day:  # (as in _begin)
                self._period_day, self._period = day, period_of(day)
            periods = position.ledger.periods
            totals = periods.get(self._period)
            if totals is None:
                totals = periods[self._period] = PeriodTotals()
            totals.held_change += held_change
            if line_amount:
                totals.gross += line_amount
                rep, currency = position.rep, invoice.currency
                line = (rep, currency, day, kind, line_amount, event_id, invoice.id, None)
                # tuple.__new__ skips the NamedTuple constructor's Python-level call (what
                # LedgerLine._make calls, less its length check): a third of the cost.
                totals.lines.append(_new_tuple(LedgerLine, line))

    def _ledger(self, rep: str, currency: str, day: dt.date) -> RepAccount:
        """The rep's ledger in ``currency``, opened on their first applied event."""
        ledger = self.book.ledgers.get((rep, currency))
        if ledger is None:
            # A rep's statements start with the period of their first applied event.
            ledger = self.book.ledgers[(rep, currency)] = RepAccount(first_period=period_of(day))
        return ledger

    def _totals(self, ledger: RepAccount, day: dt.date) -> PeriodTotals:
        # Most postings fall on the day of the event being applied: its period is written
        # once a day, not once a posting.
        if day is not self._period_day and day != self._period_day:  # (as in _begin)
            self._period_day, self._period = day, period_of(day)
        period = self._period
        totals = ledger.periods.get(period)
        if totals is None:
            totals = ledger.periods[period] = PeriodTotals()
        return totals


_ONE_DAY = dt.timedelta(days=1)
#: A rep's span of days under one plan: (since, until, terms, ledger key); see Engine._spans.
_Span = tuple[dt.date, dt.date, Terms | None, tuple[str, str] | None]
#: A rep's span of days under one plan before the first look-up: holds no day.
_NO_SPAN: _Span = (dt.date.max, dt.date.min, None, None)
_new_tuple = tuple.__new__
_new_object = object.__new__


def _pro_rata(value: Exact, left: Decimal, paid: Decimal) -> Exact:
    """``value`` lowered with a reversal of ``x``: ``value - x*value/paid``, ``value*left/paid``."""
    return canonical(exact_ratio(exact_product(value, left), paid))


def _reject(event: BaseEvent, field: str | None, reason: str) -> Rejection:
    return Rejection(event=event.id, line=event.line, field=field, reason=reason)


def _no_plan(event: Invoice, rep: str, day: dt.date) -> Rejection:
    field = "rep" if event.splits is None else "splits"
    return _reject(event, field, f"rep {rep} has no plan in force on {day}")


def _other_currency(event: Invoice, currency: str, rep: str, terms: Terms) -> Rejection:
    return _reject(
        event,
        "currency",
        f"invoice is in {currency} but rep {rep}'s plan {terms.plan_id} pays in {terms.currency}",
    )


def _not_whole(event: BaseEvent, field: str, currency: str) -> Rejection:
    value = getattr(event, field)
    return _reject(event, field, f"{value} is not a whole number of {currency} minor units")


def _exceeds(
    event: BaseEvent,
    what: str,
    amount: Decimal,
    invoice: InvoiceState,
    limit_name: str,
    limit: Decimal,
) -> Rejection:
    return _reject(
        event,
        "amount",
        f"{what} of {show(amount, invoice.currency)} exceeds {limit_name} "
        f"{show(limit, invoice.currency)} of invoice {invoice.id}",
    )
