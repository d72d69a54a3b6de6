"""The guided workflows, one module each; `init_app` serves them all through the engine.

Every module of this package that defines a `WORKFLOW` is served: a new workflow is a new
module, with nothing to list here.
"""
import importlib
import pkgutil


def all_workflows() -> list:
    """The WORKFLOW of every module of this package, in module name order."""
    found = []
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        if getattr(module, "WORKFLOW", None) is not None:
            found.append(module.WORKFLOW)
    return found


def init_app(app) -> None:
    from helpcenter.workflow import register
    workflows = all_workflows()
    for workflow in workflows:
        register(app, workflow)
    store = app.extensions.get("help_store")
    if store is not None:  # an article's wizard:<name> link must lead to one of them
        store.check_workflow_links(workflow.name for workflow in workflows)
