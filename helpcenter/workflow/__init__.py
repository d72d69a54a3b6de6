"""The workflow engine: Workflow, Step, WorkflowRun, and one blueprint factory."""
from helpcenter.workflow.engine import Progress, Step, Workflow, always, never  # noqa: F401
from helpcenter.workflow.views import StepContext, register  # noqa: F401
