"""The Spoonity loyalty program: users' balances, and each store's sales for voids.

Pure state and rules, no HTTP. Every method takes the store's ``api_key`` and the request
JSON and returns the response body for HTTP 200; a business failure is still a 200, with
``"success": false`` (or ``"voided": false``) and the reason in ``error.errors``. A request
missing a required attribute raises :class:`SpoonityError` (the adapter answers 400).

Rules:

- An order earns 10 points per dollar of ``subtotal`` (the docs' example: 10 -> "100 points
  added"). A loyalty payment removes 100 points per dollar of ``amount``; a negative amount
  gives points back. A gift card ``amount`` adds to (positive) or removes from (negative)
  the quick pay balance, which cannot go below zero.
- A ``receipt_number`` can be processed once per store while its order stands; processing it
  again is a duplicate. Voiding the order frees it, so voided orders can be re-applied.
- Voids go in order from the most recent sale **of the store** (the ``api_key`` is "linked
  to the store making the request"): voiding any other order answers ``voided: false``;
  voiding the most recent one makes the one before it the most recent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from typing import Any

from . import credentials
from .clock import Clock
from .ids import Counter

POINTS = {"id": 961, "name": "Points"}
QUICK_PAY_ID, QUICK_PAY_CURRENCY = 191, "Canadian Dollar"
EARNED_PER_DOLLAR, SPENT_PER_DOLLAR = 10, 100
CENT = Decimal("0.01")


class SpoonityError(ValueError):
    """The request lacks what the operation needs; ``str()`` is the sentence for the 400."""


@dataclass
class User:
    id: str
    cards: tuple[str, ...]  # email, card number, phone: anything card_number may hold
    quick_pay: Decimal
    points: int

    def balances(self, *, points: bool = True) -> list[dict[str, Any]]:
        rows = [{"id": QUICK_PAY_ID, "currency": QUICK_PAY_CURRENCY, "balance": float(self.quick_pay),
                 "type": "Quick Pay"}]
        if points:
            rows.append({"id": POINTS["id"], "currency": POINTS["name"], "balance": self.points, "type": "Loyalty"})
        return rows


@dataclass
class Sale:
    reference_number: str
    receipt_number: str
    user: User
    points: int
    voided: bool = False


@dataclass
class Store:
    sales: list[Sale] = field(default_factory=list)  # standing orders, oldest first
    history: dict[str, Sale] = field(default_factory=dict)  # every order by reference number
    receipts: dict[str, str] = field(default_factory=dict)  # standing receipt_number -> reference
    gift_receipts: set[str] = field(default_factory=set)


def ok(**fields: Any) -> dict[str, Any]:
    return {**fields, "error": {"errors": [], "code": None, "reference_id": None}}


def failed(code: int, message: str, *, flag: str = "success") -> dict[str, Any]:
    return {flag: False, "error": {"errors": [message], "code": code, "reference_id": None}}


class Program:
    """Users and stores; :meth:`reset` rebuilds them from the seed."""

    def __init__(self, seed: int, clock: Clock, api_key: str = credentials.SPOONITY_API_KEY) -> None:
        self.seed, self.clock, self.api_key = seed, clock, api_key
        self.reset()

    def reset(self) -> None:
        self.users = [User("582846", (credentials.SPOONITY_CARD, "6105000000582846", "4165550123"),
                           Decimal("6.36"), 9786),
                      User("582847", ("sandbox@example.com", "6105000000582847", "4165550199"), Decimal("25.00"), 500)]
        self.stores = {self.api_key: Store()}
        self._references = Counter(self.seed, "spoonity-reference", base=17_000_000)
        self._transactions = Counter(self.seed, "spoonity-transaction", base=20_000_000)

    def knows(self, api_key: str | None) -> bool:
        return api_key in self.stores

    def _user(self, body: dict[str, Any]) -> User | None:
        card = str(_required(body, "card_number")).strip().lower()
        return next((u for u in self.users if card in (c.lower() for c in u.cards)), None)

    @staticmethod
    def _no_user(body: dict[str, Any]) -> dict[str, Any]:
        return failed(404, f"No Spoonity user matches card_number {body['card_number']!r}.")

    def process_order(self, api_key: str, body: dict[str, Any]) -> dict[str, Any]:
        store, receipt = self.stores[api_key], str(_required(body, "receipt_number"))
        subtotal = _amount(body, "subtotal")
        user = self._user(body)
        if user is None:
            return self._no_user(body)
        if receipt in store.receipts:
            return failed(409, f"Duplicate receipt_number {receipt!r}: it was already processed "
                               f"(reference_number {store.receipts[receipt]}).")
        earned = max(0, int((subtotal * EARNED_PER_DOLLAR).to_integral_value(ROUND_FLOOR)))
        sale = Sale(str(self._references.next()), receipt, user, earned)
        store.sales.append(sale)
        store.history[sale.reference_number] = sale
        store.receipts[receipt] = sale.reference_number
        user.points += earned
        return ok(reference_number=sale.reference_number, success=True, receipt_data={
            "lines": [f"{earned} points added"],
            "points": [{"currency": dict(POINTS), "amount": earned, "expiryDate": None}],
            "user": {"id": user.id, "balances": user.balances()}})

    def gift_card(self, api_key: str, body: dict[str, Any]) -> dict[str, Any]:
        store, amount = self.stores[api_key], _amount(body, "amount")
        user = self._user(body)
        if user is None:
            return self._no_user(body)
        receipt = body.get("receipt_number")
        if receipt not in (None, "") and str(receipt) in store.gift_receipts:
            return failed(409, f"Duplicate receipt_number {receipt!r}: this gift card charge was already processed.")
        if amount == 0:
            raise SpoonityError("amount must not be 0: positive adds quick pay balance, negative removes it.")
        if user.quick_pay + amount < 0:
            return failed(402, f"Insufficient quick pay balance: {_text(-amount)} requested, "
                               f"{_text(user.quick_pay)} available.")
        user.quick_pay = (user.quick_pay + amount).quantize(CENT)
        if receipt not in (None, ""):
            store.gift_receipts.add(str(receipt))
        verb = "added" if amount > 0 else "removed"
        return ok(success=True, reference_number=str(self._references.next()), receipt_data={
            "lines": [f"Successfully {verb} {_text(abs(amount))} quick pay balance"],
            "user": {"id": user.id, "card_number": body["card_number"], "balances": user.balances(points=False)}})

    def loyalty_payment(self, api_key: str, body: dict[str, Any]) -> dict[str, Any]:
        """Pay *amount* dollars with points (the docs' example: 10.00 -> ``"amount": -10``)."""
        amount = _amount(body, "amount")
        user = self._user(body)
        if user is None:
            return self._no_user(body)
        if amount == 0:
            raise SpoonityError("amount must not be 0: the dollars to pay with loyalty points.")
        points = int((amount * SPENT_PER_DOLLAR).to_integral_value(ROUND_CEILING))
        if points > user.points:
            return failed(402, f"Insufficient loyalty balance: {_text(amount)} needs {points} points, "
                               f"the user has {user.points}.")
        user.points -= points
        change = -amount
        return ok(success=True, amount=int(change) if change == change.to_integral_value() else float(change),
                  transaction_id=str(self._transactions.next()))

    def void(self, api_key: str, body: dict[str, Any]) -> dict[str, Any]:
        store, reference = self.stores[api_key], str(_required(body, "receipt")).strip()
        sale = store.history.get(reference)
        if sale is None:
            return failed(404, f"No order with reference number {reference!r} at this store.", flag="voided")
        if sale.voided:
            return failed(409, f"Order {reference} is already voided.", flag="voided")
        latest = store.sales[-1]
        if sale is not latest:
            return failed(409, f"Order {reference} is not the most recent sale: orders can only be voided in order "
                               f"from the most recent sale; void {latest.reference_number} first.", flag="voided")
        store.sales.pop()
        del store.receipts[sale.receipt_number]
        sale.voided = True
        sale.user.points -= sale.points
        return {"voided": True}


def _required(body: dict[str, Any], name: str) -> Any:
    value = body.get(name)
    if value is None or value == "":
        raise SpoonityError(f"{name} is required.")
    return value


def _amount(body: dict[str, Any], name: str) -> Decimal:
    value = _required(body, name)
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        amount = Decimal("NaN")
    if isinstance(value, bool) or not amount.is_finite():
        raise SpoonityError(f"{name} must be a number; got {value!r}.")
    return amount


def _text(amount: Decimal) -> str:
    """10.00 -> "10", 2.50 -> "2.5" (how the docs print amounts in receipt lines)."""
    text = f"{amount.quantize(CENT):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
