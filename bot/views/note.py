"""`Note`: one outbox row being rendered (its parameters, the reader's language, a read
transaction), shared by the renderers (bot.views.notifications) and the buttons that follow
a state (bot.views.keyboards), so that neither imports the other."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from bot.domain.models import Deal, Job, User
from bot.i18n import fluent_id
from bot.runtime import Runtime
from bot.services.deal_cards import person
from bot.storage.db import Tx
from bot.views.format import display_params

PEOPLE = ("freelancer", "client", "from", "by", "user")

F = TypeVar("F", bound=Callable[..., Any])


def renders(*keys: str) -> Callable[[F], F]:
    """Mark a function as the renderer of these outbox keys (bot.views.registry lists the
    modules it collects them from; marking registers nothing by itself)."""

    def mark(fn: F) -> F:
        fn.__renders__ = (*getattr(fn, "__renders__", ()), *keys)  # type: ignore[attr-defined]
        return fn

    return mark


def keyboard(*views: str) -> Callable[[F], F]:
    """Mark a function as what draws the buttons of these views (bot.views.keyboards), for
    bot.views.registry to collect."""

    def mark(fn: F) -> F:
        fn.__draws__ = (*getattr(fn, "__draws__", ()), *views)  # type: ignore[attr-defined]
        return fn

    return mark


class Note:
    """One row being rendered: its parameters, the recipient's language, a read transaction.
    Also a formatter for bot.views.deal_card (t, money, when)."""

    def __init__(self, rt: Runtime, row: dict[str, Any], locale: str, tx: Tx) -> None:
        self.rt = rt
        self.row = row
        self.locale = locale
        self.tx = tx
        self.now = tx.now
        self.key: str = row["key"]
        self.method: str = row.get("method") or "send"
        self.chat_id: int = int(row["chat_id"])
        self.params: dict[str, Any] = dict(row.get("params") or {})
        self._users: dict[int, User | None] = {}
        self._job: Job | None = None
        self._deal: Deal | None = None

    # formatting
    def t(self, key: str, **params: Any) -> str:
        shown = display_params(self.rt.i18n, self.locale, params, self.now)
        return self.rt.i18n.t(self.locale, key, **shown)

    def money(self, minor: int, currency: str) -> str:
        return self.rt.i18n.money(self.locale, minor, currency)

    def when(self, epoch: int) -> str:
        return self.rt.i18n.when(self.locale, epoch, self.now)

    @property
    def mid(self) -> str:
        """The message id of this row's key."""
        return fluent_id(self.key)

    # reading
    async def user(self, user_id: int | None) -> User | None:
        if user_id is None:
            return None
        if user_id not in self._users:
            self._users[user_id] = await self.tx.users.get(int(user_id))
        return self._users[user_id]

    async def name(self, user_id: int | None) -> str:
        return person(await self.user(user_id), user_id)

    async def job(self) -> Job | None:
        """The row's job (named in the row, or the job of the row's deal)."""
        if self._job is None:
            job_id = self.params.get("job")
            if job_id is None and (deal := await self.deal()) is not None:
                job_id = deal.job_id
            if job_id is not None:
                self._job = await self.tx.jobs.get(int(job_id))
        return self._job

    async def deal(self) -> Deal | None:
        if self._deal is None and self.params.get("deal") is not None:
            self._deal = await self.tx.deals.get(int(self.params["deal"]))
        return self._deal

    async def role(self) -> str:
        deal = await self.deal()
        if deal is not None and deal.freelancer_id == self.chat_id:
            return "freelancer"
        return "client"

    async def base(self) -> dict[str, Any]:
        """The row's parameters plus the job's title and people's names (`freelancer_name`)."""
        p = dict(self.params)
        if not p.get("title") or p.get("job") is None:
            job = await self.job()
            if job is not None:
                p.setdefault("job", job.id)
                p["title"] = p.get("title") or job.title
        for key in PEOPLE:
            if isinstance(p.get(key), int):
                p[f"{key}_name"] = await self.name(p[key])
        return p

    async def text(self, mid: str | None = None, **extra: Any) -> str:
        p = await self.base()
        p.update(extra)
        return self.t(mid or self.mid, **p)

    def line(self, key: str, **params: Any) -> str:
        return "\n" + self.t(key, **params)
