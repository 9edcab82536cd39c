"""Names of the core's vocabulary as gettext message ids, for every edge that shows them (chat, CLI, jobs)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable

from babel.lists import format_list

from portcrm.enums import (
    CargoEventType,
    ComplaintCategory,
    ComplaintStatus,
    ContactMethod,
    CustomerStatus,
    CustomerType,
    Grade,
    LeadSource,
    LeadStatus,
    Role,
    ServqualDimension,
    ShipmentDirection,
)
from portcrm.errors import N_

ROLE_NAMES = {
    Role.MARKET: N_("Market department"),
    Role.OPERATIONS: N_("Operations department"),
    Role.FINANCE: N_("Finance department"),
    Role.MANAGER: N_("Manager"),
    Role.ADMIN: N_("Administrator"),
}

# SERVQUAL (服务质量) dimensions and the one line a survey shows to explain each
SERVQUAL_NAMES = {
    ServqualDimension.RELIABILITY: N_("Reliability"),  # 可靠性
    ServqualDimension.RESPONSIVENESS: N_("Responsiveness"),  # 响应性
    ServqualDimension.ASSURANCE: N_("Assurance"),  # 保证性
    ServqualDimension.EMPATHY: N_("Empathy"),  # 移情性
    ServqualDimension.TANGIBLES: N_("Tangibles"),  # 有形性
}

SERVQUAL_EXPLANATIONS = {
    ServqualDimension.RELIABILITY: N_("doing what we promised: on schedule, accurately and dependably"),
    ServqualDimension.RESPONSIVENESS: N_("willingness to help and quick answers to your requests"),
    ServqualDimension.ASSURANCE: N_("competent, courteous staff you can trust with your cargo"),
    ServqualDimension.EMPATHY: N_("individual attention and understanding of your business's needs"),
    ServqualDimension.TANGIBLES: N_("our terminal facilities, equipment, systems and documents"),
}


COMPLAINT_CATEGORY_NAMES = {
    ComplaintCategory.CARGO_DAMAGE: N_("Cargo damage"),
    ComplaintCategory.DELAY: N_("Delay"),
    ComplaintCategory.BILLING: N_("Billing"),
    ComplaintCategory.DOCUMENTATION: N_("Documentation"),
    ComplaintCategory.STAFF_SERVICE: N_("Staff service"),
    ComplaintCategory.OTHER: N_("Other"),
}

COMPLAINT_STATUS_NAMES = {
    ComplaintStatus.SUBMITTED: N_("Submitted"),
    ComplaintStatus.ACKNOWLEDGED: N_("Acknowledged"),
    ComplaintStatus.INVESTIGATING: N_("Under investigation"),
    ComplaintStatus.AWAITING_CUSTOMER: N_("Awaiting the customer's reply"),
    ComplaintStatus.RESOLUTION_PROPOSED: N_("Resolution proposed"),
    ComplaintStatus.RESOLVED: N_("Resolved"),
    ComplaintStatus.CLOSED: N_("Closed"),
}


# what a closed complaint's root cause is classified as (portcrm.services.complaints.desk.ROOT_CAUSES)
ROOT_CAUSE_NAMES = {
    "equipment": N_("Equipment"),
    "process": N_("Process"),
    "staff": N_("Staff"),
    "third_party": N_("Third party"),
    "customer": N_("Customer"),
    "documentation": N_("Documentation"),
    "other": N_("Other"),
}


CARGO_EVENT_NAMES = {
    CargoEventType.BOOKING_CONFIRMED: N_("Booking confirmed"),
    CargoEventType.EMPTY_PICKUP: N_("Empty container picked up"),
    CargoEventType.GATE_IN: N_("Gate-in at the terminal"),
    CargoEventType.LOADED: N_("Loaded on the vessel"),
    CargoEventType.VESSEL_DEPARTED: N_("Vessel departed"),
    CargoEventType.VESSEL_ARRIVED: N_("Vessel arrived"),
    CargoEventType.DISCHARGED: N_("Discharged from the vessel"),
    CargoEventType.CUSTOMS_HOLD: N_("Customs hold (inspection)"),
    CargoEventType.CUSTOMS_RELEASED: N_("Released by customs"),
    CargoEventType.PAYMENT_HOLD: N_("Payment hold"),
    CargoEventType.PAYMENT_RELEASED: N_("Payment hold released"),
    CargoEventType.AVAILABLE_FOR_PICKUP: N_("Available for pick-up"),
    CargoEventType.GATE_OUT: N_("Gate-out from the terminal"),
    CargoEventType.DELIVERED: N_("Delivered"),
    CargoEventType.EMPTY_RETURNED: N_("Empty container returned"),
    CargoEventType.STUFFED: N_("Container stuffed"),
    CargoEventType.STRIPPED: N_("Container stripped"),
    CargoEventType.PICKED_UP: N_("Picked up by the haulier"),
    CargoEventType.DROPPED_OFF: N_("Dropped off by the haulier"),
    CargoEventType.INSPECTED: N_("Container inspected"),
    CargoEventType.RESEALED: N_("Container resealed"),
    CargoEventType.REMOVED: N_("Removed from the planned voyage"),
    CargoEventType.CARRIER_HOLD: N_("Carrier hold"),
    CargoEventType.CARRIER_RELEASED: N_("Released by the carrier"),
}

DIRECTION_NAMES = {
    ShipmentDirection.IMPORT: N_("Import"),
    ShipmentDirection.EXPORT: N_("Export"),
    ShipmentDirection.TRANSSHIPMENT: N_("Transshipment"),
}


CONTACT_METHOD_NAMES = {
    ContactMethod.PHONE: N_("Phone"),
    ContactMethod.ON_SITE: N_("On-site visit"),  # 上门拜访
    ContactMethod.EMAIL: N_("Email"),
    ContactMethod.WECHAT: N_("WeChat"),
    ContactMethod.EVENT: N_("Event"),
}

CUSTOMER_TYPE_NAMES = {
    CustomerType.FORWARDER: N_("Freight forwarder"),  # 货代公司
    CustomerType.SHIPPING_LINE: N_("Shipping line"),  # 船公司
    CustomerType.CARGO_OWNER: N_("Cargo owner"),  # 货主
    CustomerType.SERVICE_PROVIDER: N_("Service provider"),  # 服务供应商
}

LEAD_SOURCE_NAMES = {
    LeadSource.TRADE_FAIR: N_("Trade fair"),  # 交易会
    LeadSource.PROMOTION_EVENT: N_("Promotion event"),  # 推介会
    LeadSource.REFERRAL: N_("Referral"),
    LeadSource.ONLINE: N_("Online"),
    LeadSource.MANIFEST_RESEARCH: N_("Manifest research"),  # 舱单
    LeadSource.OTHER: N_("Other"),
}

LEAD_STATUS_NAMES = {
    LeadStatus.NEW: N_("New"),
    LeadStatus.CONTACTED: N_("Contacted"),
    LeadStatus.NEGOTIATING: N_("Negotiating"),
    LeadStatus.WON: N_("Won"),
    LeadStatus.LOST: N_("Lost"),
}

# how payments were made: free text in the ledger (imports, the demo), so only the usual codes are named
PAYMENT_METHOD_NAMES = {
    "bank_transfer": N_("Bank transfer"),  # 银行转账
    "bank_acceptance": N_("Bank acceptance bill"),  # 银行承兑汇票
    "offset": N_("Offset against payables"),  # 冲抵
    "cash": N_("Cash"),
    "cheque": N_("Cheque"),
}

# The name an erased person's contact row keeps (privacy erasure): a sign and the row's id, in no language,
# so that every edge names it in its reader's words (`person_name`); unique per company, as names must be.
ERASED_NAME = "⊘ #{id}"
ERASED_CONTACT_NAME = N_("Erased contact #{id}")
_ERASED_NAME = re.compile(r"⊘ #(\d+)")

GRADE_NAMES = {
    Grade.A: N_("A · core customer"),  # 核心客户
    Grade.B: N_("B · important customer"),  # 重要客户
    Grade.C: N_("C · potential customer"),  # 潜在客户
}

CUSTOMER_STATUS_NAMES = {
    CustomerStatus.ACTIVE: N_("Active"),
    CustomerStatus.SUSPENDED: N_("Suspended"),
    CustomerStatus.TERMINATED: N_("Terminated"),
}

# the customer archive (客户档案), field by field, as staff see it when they edit it
ARCHIVE_FIELD_NAMES = {
    "name": N_("Company name"),
    "name_en": N_("English name"),
    "type": N_("Customer type"),
    "status": N_("Status"),
    "uscc": N_("Unified social credit code"),
    "legal_representative": N_("Legal representative"),
    "business_scope": N_("Business scope"),
    "founded_on": N_("Founded on"),
    "organisation_form": N_("Form of organisation"),
    "registered_capital": N_("Registered capital"),
    "total_assets": N_("Total assets"),
    "address": N_("Address"),
    "service_area": N_("Service area"),
    "sales_capacity": N_("Sales capacity"),
    "development_potential": N_("Development potential"),
    "cooperation_since": N_("Cooperating since"),
    "account_manager": N_("Account manager"),
    "annual_volume_teu": N_("Annual volume (TEU)"),
    "cargo_types": N_("Cargo types"),
    "routes": N_("Routes"),
    "freight_payment_terms": N_("Freight payment"),
    "credit_rating": N_("Credit rating"),
    "annual_revenue": N_("Annual revenue"),
    "financial_statements": N_("Financial statements"),
    "currency": N_("Currency"),
    "bank_name": N_("Bank"),
    "bank_account": N_("Bank account"),
}

CONTACT_FIELD_NAMES = {
    "name": N_("Name"),
    "title": N_("Title"),
    "phone": N_("Phone"),
    "email": N_("Email"),
    "birthday": N_("Birthday"),
    "locale": N_("Language"),
    "is_primary": N_("Primary contact"),
    "is_billing": N_("Billing contact"),
}


def role_list(roles: Iterable[Role], gettext: Callable[[str], str], locale: str) -> str:
    """Translated role names in the order of `Role`, joined as the locale joins lists (、 in Chinese)."""
    order = list(Role)
    names = [gettext(ROLE_NAMES[role]) for role in sorted(roles, key=order.index)]
    return format_list(names, style="standard", locale=locale)


def person_name(stored: str, gettext: Callable[[str], str]) -> str:
    """A contact's name (or a text erasure went through) with an erased person named in the reader's words.

    Not escaped: the caller escapes it with the rest of its text.
    """
    return _ERASED_NAME.sub(lambda found: gettext(ERASED_CONTACT_NAME).format(id=found[1]), stored)


def period_label(period: str, gettext: Callable[[str], str]) -> str:
    """A reporting period as people say it ("2026年第3季度", "Q3 2026"); other codes are shown as they are."""
    year, _, quarter = period.partition("-Q")
    if year.isdigit() and quarter in {"1", "2", "3", "4"}:
        return gettext("Q{quarter} {year}").format(quarter=quarter, year=year)
    return html.escape(period)


def _customer_history_names() -> dict[str, str]:
    names = {key: label for key, label in ARCHIVE_FIELD_NAMES.items() if key != "account_manager"}
    return {
        **names,
        "code": N_("Customer code"),
        "account_manager_id": ARCHIVE_FIELD_NAMES["account_manager"],
        "grade": N_("Grade"),
        "grade_reasons": N_("Grade reasons"),
        "graded_at": N_("Graded at"),
    }


# Every column the audit log records, by table, as /history names it (a test keeps this complete).
HISTORY_FIELD_NAMES: dict[str, dict[str, str]] = {
    "customers": _customer_history_names(),
    "contacts": {
        **CONTACT_FIELD_NAMES,
        "customer_id": N_("Customer"),
        "consent_greetings": N_("Consent to greetings"),
        "consent_marketing": N_("Consent to marketing"),
        "prefers_email": N_("Prefers e-mail"),
        "privacy_notice_at": N_("Privacy notice shown"),
        "telegram_user_id": N_("Telegram account"),
        "notes": N_("Notes"),
        "interests": N_("Interests"),
        "education": N_("Education"),
        "communication_style": N_("Communication style"),
        "erased_at": N_("Personal data erased"),
    },
    "credit_limits": {
        "customer_id": N_("Customer"),
        "amount": N_("Amount"),
        "currency": N_("Currency"),
        "effective_from": N_("Effective from"),
        "set_by_id": N_("Set by"),
        "reason": N_("Reason"),
    },
    "invoices": {
        "number": N_("Invoice number"),
        "customer_id": N_("Customer"),
        "shipment_id": N_("Shipment"),
        "issued_on": N_("Issued on"),
        "due_on": N_("Due on"),
        "amount": N_("Amount"),
        "currency": N_("Currency"),
        "paid_amount": N_("Amount paid"),
        "description": N_("Description"),
        "settled": N_("Settled"),
        "legal_action_since": N_("Legal action since"),
        "overdue_alerted_on": N_("Overdue alert sent on"),
    },
    "payments": {
        "reference": N_("Payment reference"),
        "customer_id": N_("Customer"),
        "invoice_id": N_("Invoice"),
        "paid_on": N_("Paid on"),
        "amount": N_("Amount"),
        "currency": N_("Currency"),
        "method": N_("Payment method"),
        "recorded_by_id": N_("Recorded by"),
    },
}
