"""All models, imported together so `Base.metadata` is complete for Alembic and the tests."""

from portcrm.models.audit import AuditEntry
from portcrm.models.base import Base
from portcrm.models.complaints import Complaint, ComplaintAttachment, ComplaintEvent
from portcrm.models.customers import Contact, CreditLimit, Customer, GradeEvaluation
from portcrm.models.desk import ComplaintTopic, DeskGroup
from portcrm.models.feeds import EdiInterchange, FeedEventReceipt, FeedSubscription, UnmatchedFeedEvent
from portcrm.models.finance import Invoice, Payment
from portcrm.models.generations import Generation
from portcrm.models.mail import MailRecord, OutgoingMail, OutgoingMailAttachment
from portcrm.models.messaging import (
    ChatUser,
    ConversationState,
    Inquiry,
    Invite,
    JobRun,
    Notification,
    PrivacyRequest,
    ReceivedUpdate,
    ShipmentSubscription,
)
from portcrm.models.relations import Agreement, Lead, Survey, SurveyAnswer, Visit
from portcrm.models.search_index import SearchGram
from portcrm.models.shipments import CargoEvent, Container, Shipment
from portcrm.models.staff import Staff, StaffRole

__all__ = [
    "Agreement",
    "AuditEntry",
    "Base",
    "CargoEvent",
    "ChatUser",
    "Complaint",
    "ComplaintAttachment",
    "ComplaintEvent",
    "ComplaintTopic",
    "Contact",
    "Container",
    "ConversationState",
    "CreditLimit",
    "Customer",
    "DeskGroup",
    "EdiInterchange",
    "FeedEventReceipt",
    "FeedSubscription",
    "Generation",
    "GradeEvaluation",
    "Inquiry",
    "Invite",
    "Invoice",
    "JobRun",
    "Lead",
    "MailRecord",
    "Notification",
    "OutgoingMail",
    "OutgoingMailAttachment",
    "Payment",
    "PrivacyRequest",
    "ReceivedUpdate",
    "SearchGram",
    "Shipment",
    "ShipmentSubscription",
    "Staff",
    "StaffRole",
    "Survey",
    "SurveyAnswer",
    "UnmatchedFeedEvent",
    "Visit",
]
