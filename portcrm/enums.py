"""The port's vocabulary as enums: stored by value, shown through the translated labels in `bot`."""

from __future__ import annotations

import enum


class CustomerType(enum.StrEnum):
    FORWARDER = "forwarder"  # 货代公司
    SHIPPING_LINE = "shipping_line"  # 船公司
    CARGO_OWNER = "cargo_owner"  # 货主
    SERVICE_PROVIDER = "service_provider"  # 服务供应商


class Grade(enum.StrEnum):
    A = "A"  # 核心客户
    B = "B"  # 重要客户
    C = "C"  # 潜在客户


class CustomerStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"


class Role(enum.StrEnum):
    """Department roles of staff; one person may hold several."""

    MARKET = "market"  # 市场部
    OPERATIONS = "operations"  # 运营部
    FINANCE = "finance"  # 财务部
    MANAGER = "manager"
    ADMIN = "admin"


class CargoEventType(enum.StrEnum):
    BOOKING_CONFIRMED = "booking_confirmed"
    EMPTY_PICKUP = "empty_pickup"
    GATE_IN = "gate_in"  # 进闸
    LOADED = "loaded"  # 装船
    VESSEL_DEPARTED = "vessel_departed"  # 离港
    VESSEL_ARRIVED = "vessel_arrived"  # 抵港
    DISCHARGED = "discharged"  # 卸船
    CUSTOMS_HOLD = "customs_hold"  # 海关查验
    CUSTOMS_RELEASED = "customs_released"  # 放行
    PAYMENT_HOLD = "payment_hold"
    PAYMENT_RELEASED = "payment_released"
    AVAILABLE_FOR_PICKUP = "available_for_pickup"  # 可提货
    GATE_OUT = "gate_out"  # 出闸 (a laden box leaving; an empty one leaving is EMPTY_PICKUP)
    DELIVERED = "delivered"
    # from the terminal and carrier feeds (DCSA equipment and shipment events, EDIFACT CODECO/COARRI/IFTSTA)
    EMPTY_RETURNED = "empty_returned"  # 还空箱: an empty box back in after a full gate-out
    STUFFED = "stuffed"  # 装箱
    STRIPPED = "stripped"  # 拆箱
    PICKED_UP = "picked_up"  # handed to the haulier or carrier (DCSA PICK)
    DROPPED_OFF = "dropped_off"  # DCSA DROP
    INSPECTED = "inspected"  # 查验
    RESEALED = "resealed"  # 重新施封
    REMOVED = "removed"  # DCSA RMVD: taken off the planned transport
    CARRIER_HOLD = "carrier_hold"  # 船公司扣货
    CARRIER_RELEASED = "carrier_released"  # 船公司放货（电放）


class TimeClassifier(enum.StrEnum):
    """How sure a reported time is (DCSA's eventClassifierCode): an actual supersedes any estimate."""

    PLANNED = "PLN"
    ESTIMATED = "EST"
    ACTUAL = "ACT"


class ShipmentDirection(enum.StrEnum):
    IMPORT = "import"
    EXPORT = "export"
    TRANSSHIPMENT = "transshipment"


class ComplaintCategory(enum.StrEnum):
    CARGO_DAMAGE = "cargo_damage"
    DELAY = "delay"
    BILLING = "billing"
    DOCUMENTATION = "documentation"
    STAFF_SERVICE = "staff_service"
    OTHER = "other"


class ComplaintStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    ACKNOWLEDGED = "acknowledged"
    INVESTIGATING = "investigating"
    AWAITING_CUSTOMER = "awaiting_customer"
    RESOLUTION_PROPOSED = "resolution_proposed"
    RESOLVED = "resolved"
    CLOSED = "closed"


class ComplaintChannel(enum.StrEnum):
    """How a complaint reached the port (投诉渠道): the chat, the complaint mailbox or the hotline."""

    CHAT = "chat"
    EMAIL = "email"
    PHONE = "phone"


class MailStatus(enum.StrEnum):
    """What became of a mail in the mail log."""

    COMPLAINT = "complaint"  # opened a complaint
    REPLY = "reply"  # added to a complaint it answers
    UNKNOWN_SENDER = "unknown_sender"  # kept for staff: no contact has this address
    AMBIGUOUS_SENDER = "ambiguous_sender"  # kept for staff: contacts of several companies have it
    AUTO_REPLY = "auto_reply"  # an out-of-office or list mail: kept, never answered
    BOUNCE = "bounce"  # a delivery report: kept, never answered; our mail it names is failed
    SENT = "sent"  # one of ours, as it went out


class ContactMethod(enum.StrEnum):
    PHONE = "phone"
    ON_SITE = "on_site"  # 上门拜访
    EMAIL = "email"
    WECHAT = "wechat"
    EVENT = "event"


class LeadSource(enum.StrEnum):
    TRADE_FAIR = "trade_fair"  # 交易会
    PROMOTION_EVENT = "promotion_event"  # 推介会
    REFERRAL = "referral"
    ONLINE = "online"
    MANIFEST_RESEARCH = "manifest_research"  # 舱单
    OTHER = "other"


class LeadStatus(enum.StrEnum):
    NEW = "new"
    CONTACTED = "contacted"
    NEGOTIATING = "negotiating"
    WON = "won"
    LOST = "lost"


class AgreementStatus(enum.StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    EXPIRED = "expired"
    TERMINATED = "terminated"


class ServqualDimension(enum.StrEnum):
    RELIABILITY = "reliability"  # 可靠性
    RESPONSIVENESS = "responsiveness"  # 响应性
    ASSURANCE = "assurance"  # 保证性
    EMPATHY = "empathy"  # 移情性
    TANGIBLES = "tangibles"  # 有形性


class SurveyKind(enum.StrEnum):
    PERIODIC = "periodic"
    AFTER_COMPLAINT = "after_complaint"


class NotificationStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    UNREACHABLE = "unreachable"
    PARKED = "parked"  # the person cannot be reached yet: delivered once they start or unblock the bot


class EvaluationStatus(enum.StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"


class CreditRating(enum.StrEnum):
    AAA = "AAA"
    AA = "AA"
    A = "A"
    BBB = "BBB"
    BB = "BB"
    B = "B"
    C = "C"


class Written(enum.Enum):
    """How a write keyed by a natural key went: a new row, a corrected one, or nothing to change."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
