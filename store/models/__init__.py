"""SQLAlchemy 2.0 typed mappings of every table; Alembic migrations must match them."""

from store.models.base import Base, utcnow
from store.models.channels import PLATFORMS, Channel, ChannelListing
from store.models.floor import InventoryCount, MissedOrder, WarehouseException
from store.models.inventory import Inventory, Sku
from store.models.operations import (
    TICKET_KINDS,
    Alert,
    AlertDelivery,
    AuditEntry,
    Counter,
    Rule,
    Ticket,
)
from store.models.orders import HoldCategory, Order, OrderItem, StageEvent
from store.models.people import ROLES, ApiToken, User

__all__ = [
    "PLATFORMS",
    "ROLES",
    "TICKET_KINDS",
    "Alert",
    "AlertDelivery",
    "ApiToken",
    "AuditEntry",
    "Base",
    "Channel",
    "ChannelListing",
    "Counter",
    "HoldCategory",
    "Inventory",
    "InventoryCount",
    "MissedOrder",
    "Order",
    "OrderItem",
    "Rule",
    "Sku",
    "StageEvent",
    "Ticket",
    "User",
    "WarehouseException",
    "utcnow",
]
