"""Every model module, imported so that Base.metadata is complete (Alembic, tests)."""
from helpcenter.db import Base  # noqa: F401
from helpcenter.billing import models as billing_models  # noqa: F401
from helpcenter.help import models as help_models  # noqa: F401
from helpcenter.workflow import models as workflow_models  # noqa: F401
from helpcenter.contact import models as contact_models  # noqa: F401
from helpcenter import staff as staff_models  # noqa: F401
from helpcenter.agent import sources as agent_sources  # noqa: F401  (its indexes on workflow_events)
