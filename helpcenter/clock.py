"""The billing clock: the calendar day can be pinned (HELPCENTER_TODAY); times of day stay real."""
from dataclasses import dataclass
from datetime import date, datetime, timezone


@dataclass(frozen=True)
class Clock:
    """Gives today's date (possibly pinned) and the real current time, both UTC."""

    pinned_today: date | None = None

    @classmethod
    def from_setting(cls, value) -> "Clock":
        return cls(date.fromisoformat(str(value)) if value else None)

    def today(self) -> date:
        return self.pinned_today or datetime.now(timezone.utc).date()

    def now(self) -> datetime:
        return datetime.now(timezone.utc)
