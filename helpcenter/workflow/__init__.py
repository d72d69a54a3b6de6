"""The workflow engine: Workflow, Step, WorkflowRun, and one blueprint factory."""
from helpcenter.workflow.engine import Progress, Step, Workflow, always, never
from helpcenter.workflow.views import StepContext, register

__all__ = ["Progress", "Step", "StepContext", "Workflow", "always", "never", "register"]
