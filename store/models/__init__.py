"""SQLAlchemy 2.0 typed mappings of every table; Alembic migrations must match them."""

from store.models.alerts import (
    SEVERITIES,
    Alert,
    AlertDelivery,
    AlertGroup,
    AlertRoute,
    Receiver,
    RouteReceiver,
    Silence,
)
from store.models.base import Base, utcnow
from store.models.channels import PLATFORMS, Channel, ChannelCarrier, ChannelListing
from store.models.floor import InventoryCount, MissedOrder, WarehouseException
from store.models.ingest import ChannelWriteback, QuarantinedOrder
from store.models.inventory import Inventory, Sku
from store.models.metrics import MetricHourly, MetricRollupState
from store.models.operations import (
    TICKET_KINDS,
    AuditEntry,
    Counter,
    Rule,
    Ticket,
)
from store.models.orders import HoldCategory, Order, OrderItem, StageEvent
from store.models.people import ROLES, ApiToken, SignInFailure, User
from store.models.rules import FlowHealthFinding, FlowHealthRun, RiskDecision
from store.models.warehouse import SCAN_KINDS, Reservation, Scan, StockReceipt

__all__ = [
    "PLATFORMS",
    "ROLES",
    "SCAN_KINDS",
    "SEVERITIES",
    "TICKET_KINDS",
    "Alert",
    "AlertDelivery",
    "AlertGroup",
    "AlertRoute",
    "ApiToken",
    "AuditEntry",
    "Base",
    "Channel",
    "ChannelCarrier",
    "ChannelListing",
    "ChannelWriteback",
    "Counter",
    "FlowHealthFinding",
    "FlowHealthRun",
    "HoldCategory",
    "Inventory",
    "InventoryCount",
    "MetricHourly",
    "MetricRollupState",
    "MissedOrder",
    "Order",
    "OrderItem",
    "QuarantinedOrder",
    "Receiver",
    "Reservation",
    "RiskDecision",
    "RouteReceiver",
    "Rule",
    "Scan",
    "SignInFailure",
    "Silence",
    "Sku",
    "StageEvent",
    "StockReceipt",
    "Ticket",
    "User",
    "WarehouseException",
    "utcnow",
]
