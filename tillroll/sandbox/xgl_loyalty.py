"""The XGL loyalty program's state and its nine actions.

:meth:`Loyalty.handle` takes an ``action_type`` and the request body (already taken out of
the ``outHTTP`` envelope) and returns the response body, always for HTTP 200: like the
real gateway, a business failure is a 200 whose ``merchant_data.response_name`` is not a
success and whose ``response_code`` is 4xx (``customerNotFound`` 404, ``orderNotFound`` 404,
``declined`` 402, ``customerAlreadyExists`` 409, ...). A request too malformed to act on
raises :class:`XglRequestError` (the adapter answers 400).

State changes: ``submitOrder`` adds points, ``redeemReward`` and ``redeemBalance`` remove
them, ``voidOrder`` takes back what a submitted order earned and returns what was redeemed
for it, ``reverseBalance`` returns a balance redemption. ``simulateAccrual`` and
``identifyCustomers`` change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .clock import Clock, format_instant
from .ids import Counter, number
from .xgl_members import (CATALOG, Member, apply_details, balance_view, customer_view, find_member, loyalty_info,
                          monetary, points_earned, receipt_view, requested_offers, rewarded_items, seed_members)

ACTIONS = ("identifyCustomers", "simulateAccrual", "redeemReward", "submitOrder", "voidOrder",
           "addCustomer", "updateCustomer", "redeemBalance", "reverseBalance")
PROVIDER = {"id": "111", "name": "Sandbox Provider"}
CONVERSION = "conversion to currency"


class XglRequestError(ValueError):
    """The request cannot be acted on; ``str()`` is the sentence for the 400."""


@dataclass
class OrderEntry:
    member_id: str
    submitted: bool = False
    voided: bool = False
    earned: int = 0
    redeemed: int = 0
    host_txn_id: str | None = None
    response: dict[str, Any] | None = None


@dataclass
class BalanceRedemption:
    member_id: str
    points: int
    balance_name: str
    reversed: bool = False


class Loyalty:
    """One company's loyalty program; :meth:`reset` rebuilds it from the seed."""

    def __init__(self, seed: int, clock: Clock) -> None:
        self.seed, self.clock = seed, clock
        self.reset()

    def reset(self) -> None:
        self.members: list[Member] = seed_members()
        self.orders: dict[str, OrderEntry] = {}
        self.redemptions: dict[str, BalanceRedemption] = {}
        self._txn = Counter(self.seed, "xgl-host-txn", base=100_000_000)
        self._members = Counter(self.seed, "xgl-member", base=200_000, spread=1000)

    def handle(self, action: str, body: dict[str, Any]) -> dict[str, Any]:
        if action not in ACTIONS:
            raise XglRequestError(f"Unknown action_type {action!r}; the gateway serves {', '.join(ACTIONS)}.")
        self._now = self.clock.now()
        self._host = str(self._txn.next())
        return getattr(self, f"_{action}")(body)

    # -- response pieces ------------------------------------------------------------------

    def _reply(self, merchant: dict[str, Any], **fields: Any) -> dict[str, Any]:
        return {**fields, "host_txn_id": self._host, "merchant_data": merchant,
                "server_date_time": format_instant(self._now, millis=True)}

    def _authorized(self) -> dict[str, Any]:
        code = f"{number(self.seed, 'xgl-auth', self._host, below=1_000_000):06d}"
        return {"authorization_code": code, **PROVIDER, "response_code": 200, "response_message": "Authorized",
                "response_name": "authorizedSuccess"}

    def _success(self) -> dict[str, Any]:
        return {**PROVIDER, "response_name": "success"}

    def _failed(self, name: str, code: int, message: str, **fields: Any) -> dict[str, Any]:
        merchant = {**PROVIDER, "response_code": code, "response_message": message, "response_name": name}
        return self._reply(merchant, **fields)

    def _no_member(self, **fields: Any) -> dict[str, Any]:
        return self._failed("customerNotFound", 404, "No loyalty customer matches the identification sent.",
                            **fields)

    # -- lookups -------------------------------------------------------------------------

    def _order_member(self, body: dict[str, Any]) -> tuple[dict[str, Any], Member | None]:
        order = body.get("order")
        if not isinstance(order, dict):
            raise XglRequestError("order is required: the POS order object, with customer.loyalty_info.")
        info = loyalty_info(order)
        cards = info.get("cards") if isinstance(info.get("cards"), list) else []
        return order, find_member(self.members, info.get("customer"), *cards, body.get("customer"))

    def _judge(self, member: Member, offer: dict[str, Any], spendable: int) -> str | None:
        """Why *offer* cannot be redeemed with *spendable* points, or None if it can."""
        reward = CATALOG.get(str(offer.get("id")))
        if reward is None:
            return f"Offer {offer.get('id')!r} is not in this loyalty program."
        if spendable < reward.points:
            return f"{reward.name} needs {reward.points} points; {member.full_name} has {spendable}."
        return None

    # -- actions ---------------------------------------------------------------------------

    def _identifyCustomers(self, body: dict[str, Any]) -> dict[str, Any]:
        member = find_member(self.members, body, body.get("customer"))
        if member is None:
            return self._no_member(customers=[])
        return self._reply(self._authorized(), customers=[customer_view(member, self._now)])

    def _evaluate(self, body: dict[str, Any], *, redeem: bool) -> dict[str, Any]:
        order, member = self._order_member(body)
        if member is None:
            return self._no_member()
        accepted, declined, spendable = [], [], member.points
        for offer in requested_offers(order):
            reason = self._judge(member, offer, spendable)
            if reason:
                declined.append({"offer_id": str(offer.get("id")), "name": offer.get("name"),
                                 "error": {"error_code": "declined", "error_message": reason}})
                continue
            reward = CATALOG[str(offer["id"])]
            spendable -= reward.points
            entry = {"name": reward.name, "reward_id": reward.reward_id, "quantity_redeemed": "1",
                     "apply_automatically": False, "program_id": "1", "offer_id": reward.offer_id,
                     "amount": f"{reward.amount:.2f}", "rewarded_items": rewarded_items(reward, order)}
            if redeem:
                entry.update(amount=reward.amount, redemption_code=str(self._txn.next()),
                             transaction_id=str(self._txn.next()))
                del entry["offer_id"]
            accepted.append(entry)
        if redeem:
            ledger = self.orders.setdefault(str(order.get("_id") or ""), OrderEntry(member.id))
            ledger.redeemed += member.points - spendable
            member.points = spendable
            data = {"declined_rewards": declined, "redeemed_rewards": accepted}
        else:
            data = {"validated_rewards": accepted, "declined_rewards": declined}
        if declined and not accepted:
            return self._failed("declined", 402, declined[0]["error"]["error_message"], rewards_data=data)
        return self._reply(self._success(), rewards_data=data)

    def _simulateAccrual(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._evaluate(body, redeem=False)

    def _redeemReward(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._evaluate(body, redeem=True)

    def _submitOrder(self, body: dict[str, Any]) -> dict[str, Any]:
        order, member = self._order_member(body)
        if member is None:
            return self._no_member()
        order_id = str(order.get("_id") or "")
        if not order_id:
            raise XglRequestError("order._id is required to submit an order.")
        entry = self.orders.setdefault(order_id, OrderEntry(member.id))
        if entry.submitted:
            if body.get("is_retry") is True and entry.response is not None:
                return entry.response
            return self._failed("orderAlreadySubmitted", 409, f"Order {order_id} was already submitted.")
        entry.submitted, entry.earned, entry.host_txn_id = True, points_earned(order), self._host
        member.points += entry.earned
        entry.response = self._reply(self._success(), receipt=receipt_view(member, self._now, named=False))
        return entry.response

    def _voidOrder(self, body: dict[str, Any]) -> dict[str, Any]:
        order, _ = self._order_member(body)
        order_id = str(order.get("_id") or "")
        submitted = loyalty_info(order).get("submit_order")
        submit_txn = str(submitted.get("transaction_id") or "") if isinstance(submitted, dict) else ""
        entry = self.orders.get(order_id) or next(
            (e for e in self.orders.values() if submit_txn and e.host_txn_id == submit_txn), None)
        if entry is None or not entry.submitted:
            return self._failed("orderNotFound", 404, f"No submitted order {order_id or submit_txn!r} to void.")
        if entry.voided:
            return self._failed("orderAlreadyVoided", 409, f"Order {order_id} was already voided.")
        member = next(m for m in self.members if m.id == entry.member_id)
        member.points += entry.redeemed - entry.earned
        entry.voided = True
        return self._reply(self._success(), currency="USD", receipt=receipt_view(member, self._now, named=True))

    def _addCustomer(self, body: dict[str, Any]) -> dict[str, Any]:
        details = body.get("customer_details")
        if not isinstance(details, dict) or not (details.get("phone_number") or details.get("email")):
            raise XglRequestError("customer_details with a phone_number or an email is required.")
        taken = find_member(self.members, {k: details.get(k) for k in ("phone_number", "loyalty_card_number")})
        if taken is not None:
            return self._failed("customerAlreadyExists", 409, "A customer with this phone number or loyalty "
                                "card number already exists.")
        member_id = str(self._members.next())
        member = Member(member_id, "", "", "", "", "", f"7000{member_id}", points=0)
        apply_details(member, details)
        self.members.append(member)
        return self._member_reply(member, "Thank you for joining our loyalty program.")

    def _updateCustomer(self, body: dict[str, Any]) -> dict[str, Any]:
        member = find_member(self.members, body.get("customer"))
        if member is None:
            return self._no_member()
        details = body.get("updated_customer_details")
        if not isinstance(details, dict):
            raise XglRequestError("updated_customer_details is required.")
        apply_details(member, details)
        return self._member_reply(member, "You profile has been successfully updated.")  # sic, as the vendor

    def _member_reply(self, member: Member, text: str) -> dict[str, Any]:
        view = customer_view(member, self._now)
        view["information"].pop("terms_and_conditions_confirmed")
        customer = {"status": "active", "terms_and_conditions_confirmed": member.terms,
                    "messages": [{"type": "customer facing", "text": text}], **view}
        return self._reply(self._authorized(), customer=customer)

    def _redeemBalance(self, body: dict[str, Any]) -> dict[str, Any]:
        """Convert points: ``redeem_balance`` (or ``redeem_rewards``) is a list of
        ``{balance_name, redeem_balance (points), balance_redemption_type, reward_id?}``."""
        items = body.get("redeem_balance", body.get("redeem_rewards"))
        if not isinstance(items, list) or not items:
            raise XglRequestError("redeem_balance is required: a list of {balance_name, redeem_balance, "
                                  "balance_redemption_type, reward_id?}.")
        member = find_member(self.members, body.get("customer"), body)
        if member is None:
            return self._no_member()
        converted, declined = [], []
        for item in (i for i in items if isinstance(i, dict)):
            reward = CATALOG.get(str(item.get("reward_id")))
            points = reward.points if reward else _int(item.get("redeem_balance"))
            name = str(item.get("balance_name") or "Points")
            if points <= 0 or member.points < points:
                why = "invalid amount" if points <= 0 else "insufficient balance"
                declined.append({"total_balance": member.points, "redeem_balance": points, "balance_name": name,
                                 "error": {"error_code": why, "error_message": f"Cannot redeem {points} points "
                                           f"from a balance of {member.points}."}})
                continue
            member.points -= points
            txn = str(self._txn.next())
            self.redemptions[txn] = BalanceRedemption(member.id, points, name)
            converted.append({"amount": reward.amount if reward else monetary(points), "apply_automatically": False,
                              "calculated_by": "provider", "name": reward.name if reward else "Points to USD",
                              "program_id": "13", "quantity": 1, "reward_id": reward.reward_id if reward else None,
                              "status": "redeemed", "requires_validation": False, "rewarded_items": [],
                              "redeemed_balance": points, "balance_name": name,
                              "balance_redemption_type": item.get("balance_redemption_type") or CONVERSION,
                              "transaction_id": txn})
        fields = {"balance": balance_view(member, self._now, redemption_type=CONVERSION),
                  "declined_balance": declined, "converted_rewards": converted}
        if declined and not converted:
            return self._failed("declined", 402, declined[0]["error"]["error_message"], **fields)
        return self._reply(self._authorized(), **fields)

    def _reverseBalance(self, body: dict[str, Any]) -> dict[str, Any]:
        items = body.get("reverse_rewards")
        if not isinstance(items, list) or not items:
            raise XglRequestError("reverse_rewards is required: a list of {transaction_id, reverse_balance, ...}.")
        member = find_member(self.members, body.get("customer"))
        done, declined = [], []
        for item in (i for i in items if isinstance(i, dict)):
            txn = str(item.get("transaction_id") or "")
            record = self.redemptions.get(txn)
            if record is None or record.reversed:
                declined.append({"balance_name": item.get("balance_name") or "Points",
                                 "balance_redemption_type": item.get("balance_redemption_type") or CONVERSION,
                                 "transaction_id": txn, "reverse_balance": item.get("reverse_balance"),
                                 "reverse_monetary_balance": item.get("reverse_monetary_balance"),
                                 "error": {"error_code": "already reversed" if record else "transaction not found",
                                           "error_message": f"No redemption {txn!r} to reverse."}})
                continue
            record.reversed = True
            member = next(m for m in self.members if m.id == record.member_id)
            member.points += record.points
            done.append({"balance_name": record.balance_name, "balance_redemption_type": CONVERSION,
                         "reversed_balance": record.points, "reversed_monetary_balance": monetary(record.points),
                         "total_balance": member.points, "total_monetary_balance": monetary(member.points),
                         "transaction_id": txn})
        fields = {"balance": balance_view(member, self._now, redemption_type=CONVERSION) if member else [],
                  "declined_reverse": declined, "reversed_balance": done}
        if declined and not done:
            return self._failed("transactionNotFound", 404, declined[0]["error"]["error_message"], **fields)
        return self._reply(self._authorized(), **fields)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
