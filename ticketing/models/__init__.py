"""The ticketing schema; Alembic (ticketing/migrations) owns it in the databases."""

from ticketing.models.agent_states import AgentStateInterval
from ticketing.models.base import Base, UtcDateTime, utcnow
from ticketing.models.campaigns import (
    CAMPAIGN_KINDS,
    CAMPAIGN_MODES,
    CAMPAIGN_STATUSES,
    CONTACT_STATES,
    Campaign,
    CampaignAttempt,
    CampaignContact,
    Disposition,
    DncNumber,
)
from ticketing.models.contractors import Contractor, ContractorDispatch, PrintTemplate
from ticketing.models.customers import TIERS, Contact, Customer, CustomerPhone
from ticketing.models.interactions import ASYNC_KINDS, KINDS, Interaction, order_interactions
from ticketing.models.knowledge import (
    KbArticle,
    KbCategory,
    Notification,
    NotificationTemplate,
    OutageNotice,
    StandardPhrase,
    SurveyDimension,
    SurveyResult,
)
from ticketing.models.orders import (
    Assignment,
    AuditLog,
    Category,
    Comment,
    Counter,
    OrderLink,
    Timer,
    WorkflowDefinition,
    WorkOrder,
)
from ticketing.models.org import ROLES, Department, Site, User, user_sites

__all__ = [
    "ASYNC_KINDS",
    "CAMPAIGN_KINDS",
    "CAMPAIGN_MODES",
    "CAMPAIGN_STATUSES",
    "CONTACT_STATES",
    "KINDS",
    "ROLES",
    "TIERS",
    "AgentStateInterval",
    "Assignment",
    "AuditLog",
    "Base",
    "Campaign",
    "CampaignAttempt",
    "CampaignContact",
    "Category",
    "Comment",
    "Contact",
    "Contractor",
    "ContractorDispatch",
    "Counter",
    "Customer",
    "CustomerPhone",
    "Department",
    "Disposition",
    "DncNumber",
    "Interaction",
    "KbArticle",
    "KbCategory",
    "Notification",
    "NotificationTemplate",
    "OrderLink",
    "OutageNotice",
    "PrintTemplate",
    "Site",
    "StandardPhrase",
    "SurveyDimension",
    "SurveyResult",
    "Timer",
    "User",
    "UtcDateTime",
    "WorkOrder",
    "WorkflowDefinition",
    "order_interactions",
    "user_sites",
    "utcnow",
]
