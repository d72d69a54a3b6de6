"""What a workflow is: a name, ordered steps, the article it follows; and the one rule that
says which step comes next.

The "first step that applies and is not done" rule lives here and nowhere else: the start
URL, the guard on every step and the revalidation before a final action all ask
`first_pending()`. Nothing here names a step of any one workflow.
"""
from dataclasses import dataclass, field
from typing import Callable


def always(_progress) -> bool:
    return True


def never(_progress) -> bool:
    return False


@dataclass
class Progress:
    """What one request knows about a run: who is signed in, the run, values loaded once."""

    contact: object | None            # billing read.Contact, None when signed out
    run: object | None = None         # WorkflowRun
    loaders: dict = field(default_factory=dict, repr=False)
    _cache: dict = field(default_factory=dict, init=False, repr=False)

    def get(self, key: str, default=None):
        """One of the run's values (default when there is no run yet)."""
        return self.run.get(key, default) if self.run is not None else default

    def load(self, name: str):
        """A value the workflow loads from the backend (a quote, the account), once per request."""
        if name not in self._cache:
            self._cache[name] = self.loaders[name](self)
        return self._cache[name]

    def forget(self, *names: str) -> None:
        """Load these again on next use (after the run changed)."""
        for name in names or tuple(self._cache):
            self._cache.pop(name, None)


@dataclass(frozen=True)
class Step:
    """One page of a workflow at /<lang>/wizard/<workflow>/<name>."""

    name: str                           # URL segment, also the endpoint (dashes become underscores)
    title: object                       # lazy string: evaluated in the page's language
    handler: Callable                   # handler(ctx) -> response
    applies: Callable = always          # applies(progress): is this step part of this run?
    done: Callable = never              # done(progress): has the customer finished it?
    numbered: bool = True               # counts in "Step N of M" and the step list
    public: bool = False                # shown to a signed-out visitor (sign-in)
    refusal: str | None = None          # a refusal page for this billing code: when it applies, the walk ends here
    article_step: int | None = None     # the #step-N of the workflow's article shown beside it
    too_many: object = None             # lazy: said when a rate limit refuses this step's POST
    methods: tuple = ("GET", "POST")

    @property
    def endpoint(self) -> str:
        return self.name.replace("-", "_")


@dataclass(frozen=True)
class Workflow:
    """A guided task: its steps in order, the article it follows, what it loads and how it ends."""

    name: str                           # URL segment (/wizard/<name>/) and runs' `workflow` value
    blueprint: str                      # endpoint prefix, e.g. "wizard" for wizard.confirm
    steps: tuple                        # Step, in order; refusal steps sit where they end the walk
    article: int                        # helpcenter.articles id of the article it follows
    step_list_label: object             # lazy: the aria-label of the list of steps
    finished_notice: object = None      # lazy: said when a step of a finished run is opened again
    loaders: dict = field(default_factory=dict)       # name -> loader(progress), see Progress.load
    error_handlers: dict = field(default_factory=dict)  # exception type -> handler(ctx, error)
    # Query parameters a shared link may carry before a run exists: parse(args) -> (dict, notices).
    parse_prefill: Callable = lambda args: ({}, [])

    def step(self, name: str) -> Step:
        return next(s for s in self.steps if s.name == name)

    @property
    def numbered(self) -> tuple:
        return tuple(s for s in self.steps if s.numbered)

    def number(self, step: Step) -> int | None:
        """N in "Step N of M", or None for pages outside the numbered steps."""
        return self.numbered.index(step) + 1 if step.numbered else None

    def first_pending(self, progress: Progress) -> Step:
        """The first step that applies and is not done yet (a refusal that applies ends the walk)."""
        for step in self.steps:
            if not step.applies(progress):
                continue
            if step.refusal or not step.done(progress):
                return step
        return self.steps[-1]

    def is_reachable(self, step: Step, progress: Progress) -> bool:
        """A step may be shown when it applies and every step before it that applies is done."""
        if not step.applies(progress):
            return False
        return self.steps.index(step) <= self.steps.index(self.first_pending(progress))

    def previous_step(self, step: Step, progress: Progress) -> Step | None:
        """The numbered step before this one that applies (for the back link)."""
        before = [s for s in self.numbered if self.steps.index(s) < self.steps.index(step) and s.applies(progress)]
        return before[-1] if before else None
