"""XGL loyalty members: the customer record, the reward catalog, their JSON views, and how
a POS order names them.

Shapes follow the Xenial samples (``identifyCustomers``, ``addCustomer``, ``submitOrder``,
``voidOrder`` responses). Points are worth one cent each (the samples show 45923 points as
45.93 USD); orders earn 10 points per dollar of subtotal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from typing import Any

POINTS_PER_DOLLAR_EARNED = 10
POINTS_PER_DOLLAR_REDEEMED = 100


@dataclass(frozen=True)
class Reward:
    offer_id: str
    reward_id: str
    name: str
    points: int
    amount: float
    promotion_type: str | None = None
    product_id: str | None = None  # the item the reward makes free, if any


CATALOG = {r.offer_id: r for r in [
    Reward("1234", "1234", "Medium Drink", 200, 2.0, "Registration Reward"),
    Reward("99", "12", "Free Product", 475, 4.75, "Welcome Reward", product_id="101"),
    Reward("999", "999", "10% off", 125, 1.25),
    Reward("1000", "1000", "Free Medium Drink", 495, 4.95, product_id="1009M"),
]}


@dataclass
class Member:
    id: str
    first_name: str
    last_name: str
    email: str
    phone: str
    code: str
    card_number: str
    points: int
    card_balance: str = "0.00"
    identification_method: str = "phone_number"
    address: Any = field(default_factory=dict)
    terms: bool = True
    extra: dict[str, Any] = field(default_factory=dict)  # middle_name, birth_date, opt-ins...

    def identifiers(self) -> dict[str, str]:
        return {"id": self.id, "card": self.card_number, "phone": self.phone, "code": self.code,
                "email": self.email.lower()}

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


def seed_members() -> list[Member]:
    """The sandbox's members: John Doe from the identify sample, and the redacted customer of
    the order samples, so that the docs' verbatim requests find someone."""
    return [
        Member("123456", "John", "Doe", "john.doe@123company.com", "1111111111", "4545", "9999999999999999",
               points=45923, card_balance="111.00"),
        Member("99999999", "Xxxxx", "X", "xxxxxx.xxxxxx@xxxxx.xxx", "9999999999", "9999", "999999999999",
               points=1850, card_balance="3.26", address="{}"),
    ]


# A request names a member by one of these fields, tried in this order; the value is
# compared with the listed identifiers. customer_id is what a scan yields (id, card, phone, code).
LOOKUP = [("customer_id", ("id", "card", "phone", "code")), ("id", ("id",)),
          ("loyalty_card_number", ("card",)), ("card_number", ("card",)), ("phone_number", ("phone",)),
          ("phone", ("phone",)), ("code", ("code",)), ("email", ("email",))]


def find_member(members: list[Member], *sources: Any) -> Member | None:
    """The first member named by the identifying fields of the dicts in *sources*."""
    for name, kinds in LOOKUP:
        for source in sources:
            value = source.get(name) if isinstance(source, dict) else None
            if not isinstance(value, (str, int)) or not str(value).strip():
                continue
            wanted = str(value).strip().lower() if name == "email" else str(value).strip()
            for member in members:
                ids = member.identifiers()
                if any(ids[kind] == wanted for kind in kinds):
                    return member
    return None


def balance_view(member: Member, now: datetime, *, redemption_type: str = "redemption for currency") -> list:
    expiring = [{"expiration_date": (now + timedelta(days=365)).date().isoformat(),
                 "points_quantity": member.points}] if member.points > 0 else []
    return [{"balance": member.points, "expiration_dates": expiring, "name": "Points",
             "balance_redemption": [{"type": redemption_type, "currency_code": "USD",
                                     "available_monetary_balance": monetary(member.points)}]}]


def customer_view(member: Member, now: datetime) -> dict[str, Any]:
    """A member as ``identifyCustomers`` lists it."""
    rewards = [{"apply_automatically": False, "associated_points": r.points, "balance": member.points // r.points,
                "calculated_by": "provider", "expiration_dates": [], "id": r.offer_id, "name": r.name,
                "promoted": r.promotion_type is not None, "promotion_type": r.promotion_type,
                "qualified": member.points >= r.points, "reward_type": "reward", "status": "active"}
               for r in CATALOG.values()]
    validated = [{"apply_automatically": False, "name": r.name, "offer_id": r.offer_id, "quantity_redeemed": 1,
                  "reward_id": r.reward_id, "reward_type": "reward", "amount": r.amount, "status": "active"}
                 for r in CATALOG.values() if member.points >= r.points]
    return {
        "balance": balance_view(member, now),
        "cards": [{"card_balance": member.card_balance, "card_number": member.card_number}],
        "identification_method": member.identification_method,
        "information": {"terms_and_conditions_confirmed": member.terms, "address": member.address,
                        "code": member.code, "email": member.email, "first_name": member.first_name,
                        "id": member.id, "last_name": member.last_name, "phone": member.phone,
                        "preferred_tips": []},
        "is_identified": True,
        "rewards": rewards,
        "rewards_data": {"validated_rewards": validated},
    }


def receipt_view(member: Member, now: datetime, *, named: bool) -> dict[str, Any]:
    """The ``receipt`` of submitOrder (*named* False) and voidOrder (*named* True)."""
    balance: dict[str, Any] = {"balance": member.points, "expiration_dates": []}
    if named:
        balance["expiration_dates"] = [(now + timedelta(days=365)).date().isoformat()] if member.points else []
        balance["name"] = "Points"
    return {"balance": [balance], "customer_name": member.full_name, "loyalty_card_number": member.card_number,
            "messages": [], "rewards": []}


def loyalty_info(order: dict[str, Any]) -> dict[str, Any]:
    """``order.customer.loyalty_info`` of a POS order, or {}."""
    customer = order.get("customer")
    info = customer.get("loyalty_info") if isinstance(customer, dict) else None
    return info if isinstance(info, dict) else {}


def requested_offers(order: dict[str, Any]) -> list[dict[str, Any]]:
    """The offers the POS asks to validate or redeem (those it has not marked redeemed)."""
    offers = loyalty_info(order).get("offers")
    if not isinstance(offers, list):
        return []
    return [o for o in offers if isinstance(o, dict) and o.get("status") in (None, "", "validated", "active")]


def rewarded_items(reward: Reward, order: dict[str, Any]) -> list[dict[str, Any]]:
    """The order item *reward* makes free (the first with its product id), as ``rewarded_items``."""
    return [{"name": item.get("name"), "amount": item.get("price"), "quantity": "1", "id": item.get("product_id"),
             "item_id": item.get("order_item_id")}
            for item in order.get("items") or [] if isinstance(item, dict) and reward.product_id
            and str(item.get("product_id")) == reward.product_id][:1]


def apply_details(member: Member, details: dict[str, Any]) -> None:
    """Copy ``customer_details`` / ``updated_customer_details`` fields onto *member*."""
    simple = {"first_name": "first_name", "last_name": "last_name", "email": "email", "phone_number": "phone",
              "code": "code", "loyalty_card_number": "card_number", "address": "address",
              "terms_and_conditions_confirmed": "terms"}
    for key, value in details.items():
        if key in simple:
            setattr(member, simple[key], value)
        else:
            member.extra[key] = value


def monetary(points: int) -> float:
    return round(points / POINTS_PER_DOLLAR_REDEEMED, 2)


def points_earned(order: dict[str, Any]) -> int:
    """Points an order earns: 10 per dollar of ``subtotal`` (or ``total``), rounded down."""
    for key in ("subtotal", "total"):
        try:
            value = Decimal(str(order.get(key)))
        except (InvalidOperation, ValueError):
            continue
        if value.is_finite():
            return max(0, int((value * POINTS_PER_DOLLAR_EARNED).to_integral_value(ROUND_FLOOR)))
    return 0
