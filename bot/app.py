"""The one wiring point: builds the Application and registers every handler."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseRateLimiter,
    ContextTypes,
    Defaults,
)

from bot.config import Settings
from bot.handlers.base import MarketContext, on_error
from bot.handlers.buttons import ButtonCodec
from bot.health import Health
from bot.i18n import I18n
from bot.metrics import LoopLag, registered_commands
from bot.notify import Dispatcher
from bot.ops import Ops, OpsServer, add_ops_routes
from bot.pacing import RATE as OUTBOX_RATE
from bot.pacing import Pacer, SharedBudget, SharedRateLimiter
from bot.runtime import Runtime
from bot.scheduler import DeadlineScheduler
from bot.services.base import Clock, Services
from bot.storage import open_database
from bot.storage.inbox import LEASE
from bot.transport import AiohttpRequest
from bot.updates import InboxRunner
from bot.web import WebServer

log = logging.getLogger(__name__)


def build_application(
    settings: Settings,
    *,
    clock: Clock | None = None,
    outbox_poll: float = 0.5,
    deadline_tick: float = 5.0,
    inbox_poll: float = 1.0,
    inbox_lease: int = LEASE,
    rate_limiter: BaseRateLimiter | None = None,
    outbox_rate: float = OUTBOX_RATE,
    freeze_heap: bool = False,
) -> Application:
    """The bot as it runs. Every message the bot sends, a handler's answer or a notification,
    takes a slot of one `Pacer` (`outbox_rate` a second, 0 = unpaced; 19 a minute per group),
    on PostgreSQL also a token of the budget every instance shares (30 in any second),
    answers first, and an answer is retried after a short 429 (bot/pacing.py). `rate_limiter`
    replaces the handlers' side of it. `freeze_heap` (the running bot: `run`) hides what
    start-up made from the garbage collector (see `_freeze_heap`); tests, which start many
    bots in one process, leave it off.

    Updates reach the handlers only through the inbox (bot/intake.py, bot/updates.py):
    `start_receiving` starts that after `Application.start()`; PTB's Updater, update queue
    and persistence are not used (conversation state is read from the database per update).
    `bot_data["web"]` is the bot's HTTP server: add routes to it before `start_receiving`."""
    db = open_database(settings.database_url, pool_size=settings.database_pool_size)
    ops = Ops()
    # Several instances share one budget and the groups' windows on PostgreSQL
    # (bot/pacing.py, SEND_BUDGET).
    shared = SharedBudget(db) if settings.shares_send_budget else None
    pacer = Pacer(rate=outbox_rate, budget=shared, groups=shared)
    svc = Services(db=db, settings=settings, clock=clock or Clock())
    rt = Runtime(
        svc=svc,
        i18n=I18n(default=settings.default_locale),
        buttons=ButtonCodec(settings.bot_token),
        ops=ops,
    )
    base = settings.bot_api_base_url.rstrip("/")
    file_base = base[:-4] + "/file/bot" if base.endswith("/bot") else base + "/file/bot"
    app = (
        ApplicationBuilder()
        .token(settings.bot_token)
        .base_url(base)
        .base_file_url(file_base)
        .request(AiohttpRequest(observer=ops.telegram_call))
        .get_updates_request(AiohttpRequest(connection_pool_size=2, observer=ops.telegram_call))
        .updater(None)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .rate_limiter(rate_limiter or SharedRateLimiter(pacer))
        .context_types(ContextTypes(context=MarketContext))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    app.bot_data["rt"] = rt
    app.bot_data["ops"] = ops
    app.bot_data["outbox_poll"] = outbox_poll
    app.bot_data["pacer"] = pacer
    app.bot_data["freeze_heap"] = freeze_heap
    app.bot_data["deadline_tick"] = deadline_tick
    app.bot_data["inbox"] = InboxRunner(
        app, svc, poll=inbox_poll, lease=inbox_lease, metrics=ops.metrics
    )
    app.bot_data["web"] = WebServer(settings.webhook_listen)
    register_handlers(app)
    app.add_error_handler(on_error)
    ops.metrics.known_commands = registered_commands(
        h for handlers in app.handlers.values() for h in handlers
    )
    return app


async def _post_init(app: Application) -> None:
    from bot.views.registry import render_row

    rt: Runtime = app.bot_data["rt"]
    await rt.svc.db.connect()
    from bot.services import audit

    changed = await audit.record_configuration(rt.svc)
    if changed:
        log.info("configuration recorded in the audit trail: %s", ", ".join(sorted(changed)))
    me = await app.bot.get_me()
    rt.bot_username = me.username or ""
    from bot.reconcile import missed_star_payments

    try:  # payments whose update died with the previous process (see bot/reconcile.py)
        await missed_star_payments(app.bot, rt.svc)
    except TelegramError as exc:
        log.warning("could not check the Star transactions: %s", exc)
    rt.dispatcher = Dispatcher(
        rt,
        app.bot,
        render_row,
        poll_interval=app.bot_data["outbox_poll"],
        pacer=app.bot_data["pacer"],
    )
    await rt.dispatcher.start()
    scheduler = DeadlineScheduler(app, rt, interval=app.bot_data["deadline_tick"])
    app.bot_data["deadlines"] = scheduler
    scheduler.start()
    await _start_ops(app, rt)
    from bot.handlers.commands import register_commands

    await register_commands(app)
    await _miniapp_menu(app, rt)
    if app.bot_data.get("freeze_heap"):
        _freeze_heap()


async def _start_ops(app: Application, rt: Runtime) -> None:
    """Health checks over what now runs, the event loop's lag, and in polling mode the
    METRICS_PORT server for /metrics and /healthz (bot/ops.py)."""
    ops: Ops = app.bot_data["ops"]
    dispatcher = rt.dispatcher
    ops.beats.dispatcher_alive = lambda: dispatcher is not None and dispatcher.running
    ops.health = Health(rt.svc, app.bot, ops.signal, ops.beats)
    lag = LoopLag(ops.metrics)
    lag.start()
    app.bot_data["loop_lag"] = lag
    port = rt.svc.settings.metrics_port
    if port is not None and not rt.svc.settings.webhook_url:  # else on the webhook server
        server = OpsServer(app, port)
        await server.start()
        app.bot_data["ops_server"] = server


async def _miniapp_menu(app: Application, rt: Runtime) -> None:
    """With MINIAPP_URL, the chat's menu button opens the Mini App (bot/miniapp)."""
    url = rt.svc.settings.miniapp_url
    if not url:
        return
    from telegram import MenuButtonWebApp, WebAppInfo

    label = rt.i18n.t(rt.i18n.default, "miniapp-menu-button")
    try:
        await app.bot.set_chat_menu_button(
            menu_button=MenuButtonWebApp(text=label, web_app=WebAppInfo(url=url))
        )
    except TelegramError as exc:
        log.warning("setChatMenuButton failed: %s", exc)


def _freeze_heap() -> None:
    """Everything the bot keeps for its lifetime exists now (modules, handlers, the
    translations' syntax trees: some 110,000 objects). A full collection of the garbage
    collector walks all of them, holding the event loop for 60-110 ms each time (measured
    while 10,000 deadlines fell due at once); frozen, they are left out, and a collection
    walks only what was made since. Garbage left now is collected first."""
    gc.collect()
    gc.freeze()


async def _post_shutdown(app: Application) -> None:
    rt: Runtime = app.bot_data["rt"]
    server: OpsServer | None = app.bot_data.pop("ops_server", None)
    if server is not None:
        await server.stop()
    lag: LoopLag | None = app.bot_data.pop("loop_lag", None)
    if lag is not None:
        await lag.stop()
    scheduler: DeadlineScheduler | None = app.bot_data.get("deadlines")
    if scheduler is not None:
        scheduler.stop()
    if rt.dispatcher is not None:
        await rt.dispatcher.stop()
    await rt.svc.db.close()


def register_handlers(app: Application) -> None:
    """Every handler of the bot, in one place. Order matters: the answer to a button's
    question first (group -2), evidence (-1), then conversations (they own their steps),
    commands, buttons, payments, replies to relayed messages, and last the reply to an
    unknown command."""
    from telegram.ext import (
        CallbackQueryHandler,
        CommandHandler,
        MessageHandler,
        PreCheckoutQueryHandler,
        filters,
    )

    from bot.flows import bid as bid_flow
    from bot.flows import post_job as post_flow
    from bot.flows import profile as profile_flow
    from bot.flows import repost as repost_flow
    from bot.handlers import (
        alerts,
        audit,
        bids,
        callbacks,
        common,
        deals,
        hourly,
        inputs,
        jobs,
        messages,
        milestones,
        moderation,
        offers,
        payments,
        people,
        privacy,
        reviewers,
        trials,
    )

    rt: Runtime = app.bot_data["rt"]
    # Every button action, from the modules that mark them (bot.handlers.callbacks).
    callbacks.use_buttons(
        alerts,
        audit,
        bids,
        common,
        deals,
        inputs,
        jobs,
        milestones,
        moderation,
        people,
        privacy,
        trials,
    )
    callbacks.use_buttons(offers, reviewers)  # issue 14: direct offers, QA reviewers
    private = filters.ChatType.PRIVATE

    # Conversations (their state is in the database, read for every update: bot/updates.py).
    repost = CommandHandler("repost", repost_flow.command, filters=private)
    app.add_handler(post_flow.conversation(rt, repost))
    app.add_handler(bid_flow.conversation(rt))
    app.add_handler(profile_flow.conversation(rt))

    app.add_handler(trials.conversation(rt))  # a trial's result, sent with a button
    from bot.flows import alert as alert_flow

    app.add_handler(alert_flow.conversation(rt))  # a new job alert, from /alerts

    # Everyone, in private.
    commands = {
        "start": common.start,
        "help": common.help_cmd,
        "cancel": common.cancel,
        "language": common.language,
        "profile": people.profile,
        "balance": people.balance,
        "payout": people.payout,
        "mydata": privacy.mydata_cmd,
        "deleteaccount": privacy.deleteaccount_cmd,
        # Clients.
        "myjobs": jobs.my_jobs,
        "bids": bids.list_bids,
        "shortlist": bids.shortlist,
        "trial": bids.trial,
        "accept": bids.accept,
        "decline": bids.decline,
        "closejob": jobs.close_job,
        "invite": people.invite,
        "fav": people.fav,
        "favs": people.favs,
        # Freelancers.
        "jobs": jobs.list_jobs,
        "job": jobs.show_job,
        "mybids": bids.my_bids,
        "withdraw": bids.withdraw,
        "alerts": alerts.alerts_cmd,
        # Both sides.
        "ask": messages.ask,
        "msg": messages.msg,
        "deals": deals.list_deals,
        "deal": deals.show_deal,
        "deliver": deals.deliver,
        "release": deals.release,
        "revise": deals.revise,
        "extend": deals.extend,
        "canceldeal": deals.cancel_deal,
        "dispute": deals.dispute,
        "log": deals.log_time,
        "edithours": hourly.edit_hours,
        "approve": hourly.approve,
        "rate": deals.rate,
        "milestones": milestones.plan,
        "addmilestone": milestones.add,
        # Direct offers and QA reviewers (issue 14).
        "offer": offers.offer_cmd,
        "propose": offers.propose_cmd,
        "offers": offers.offers_cmd,
        "reviewer": reviewers.reviewer_cmd,
        "verdict": reviewers.verdict_cmd,
    }
    for name, callback in commands.items():
        app.add_handler(CommandHandler(name, callback, filters=private))

    # Moderators: in the moderator group, and admins anywhere (checked in the handlers).

    for name, callback in {
        "resolve": moderation.resolve_cmd,
        "ban": moderation.ban_cmd,
        "unban": moderation.unban_cmd,
        "removejob": moderation.removejob_cmd,
        "payouts": moderation.payouts_cmd,
        "paid": moderation.paid_cmd,
        "stats": moderation.stats_cmd,
        "audit": audit.audit_cmd,
    }.items():
        app.add_handler(CommandHandler(name, callback))
    app.add_handler(CommandHandler("deal", moderation.group_deal_cmd, filters=~private))
    # A party's side of a dispute: /evidence, a file captioned /evidence, or a reply to the
    # dispute notification (that group runs first, so such a file is not taken for a delivery).
    app.add_handler(CommandHandler("evidence", moderation.evidence_cmd, filters=private))
    for evidence in moderation.evidence_handlers():
        app.add_handler(evidence, group=-1)
    # The answer to a question a button asked ("Message", "Dispute"...) comes before all.

    app.add_handler(inputs.answer_handler(), group=-2)
    # In a dispute's topic (a forum moderator group): /resolve without the deal, notes.
    from bot.handlers import topics

    for in_topic in topics.topic_handlers():
        app.add_handler(in_topic, group=-1)

    # Inline mode (@bot words in any chat).
    from telegram.ext import InlineQueryHandler

    from bot.handlers import inline

    app.add_handler(InlineQueryHandler(inline.inline_query))
    app.add_handler(MessageHandler(inline.POSTED_VIA_ME, inline.posted_via_me), group=-3)

    # Buttons, payments, files and replies.
    app.add_handler(CallbackQueryHandler(callbacks.on_button))
    app.add_handler(PreCheckoutQueryHandler(payments.pre_checkout))
    app.add_handler(MessageHandler(filters.SUCCESSFUL_PAYMENT, payments.successful_payment))
    files = filters.Document.ALL | filters.PHOTO
    # A reviewer's verdict with files: a file captioned /verdict (before a delivery's files).
    app.add_handler(
        MessageHandler(private & files & reviewers.VERDICT_CAPTION, reviewers.verdict_file)
    )
    app.add_handler(MessageHandler(private & files, deals.files_received))
    app.add_handler(
        MessageHandler(
            private & filters.REPLY & filters.TEXT & ~filters.COMMAND, messages.relay_reply
        )
    )
    app.add_handler(MessageHandler(private & filters.COMMAND, common.unknown))
    app.add_handler(MessageHandler(private & filters.TEXT, common.plain_text))


async def start_receiving(app: Application, *, poll_timeout: int = 30) -> None:
    """Handle what waits in the inbox, then take updates in: by webhook when WEBHOOK_URL is
    set (the bot's server first, then setWebhook), else by long polling. After
    `Application.start()`."""
    from bot.intake import Intake, Poller, Webhook

    rt: Runtime = app.bot_data["rt"]
    settings = rt.svc.settings
    runner: InboxRunner = app.bot_data["inbox"]
    await runner.start()
    intake = Intake(rt.svc, runner, app.bot)
    app.bot_data["intake"] = intake
    from bot.miniapp.server import MiniAppServer, add_miniapp_routes, listen_host

    if settings.webhook_url:
        web: WebServer = app.bot_data["web"]
        web.add_route(
            "POST", settings.webhook_path, Webhook(intake, settings.webhook_secret).handle
        )
        add_ops_routes(web.app, app)  # /metrics and /healthz (bot/ops.py)
        add_miniapp_routes(web.app, app)  # the Mini App: /app/ and /app/api/ (bot/miniapp)
        await web.start()
        await app.bot.set_webhook(
            settings.webhook_url,
            secret_token=settings.webhook_secret,
            allowed_updates=Update.ALL_TYPES,
            drop_pending_updates=False,
        )
        log.info("receiving updates by webhook at %s", settings.webhook_url)
    else:
        if settings.miniapp_port is not None:
            host = listen_host(settings.miniapp_url)
            miniapp = MiniAppServer(app, settings.miniapp_port, host)
            await miniapp.start()
            app.bot_data["miniapp_server"] = miniapp
        poller = Poller(app.bot, intake, timeout=poll_timeout)
        app.bot_data["poller"] = poller
        await poller.start()
        log.info("receiving updates by long polling")


async def stop_receiving(app: Application) -> None:
    """Take no more updates in, finish the ones in hand, give the turns back. Before
    `Application.stop()`. The webhook stays set: Telegram keeps the updates that come
    meanwhile for the next start (or another instance)."""
    poller = app.bot_data.pop("poller", None)
    if poller is not None:
        await poller.stop()
    web: WebServer | None = app.bot_data.get("web")
    if web is not None:
        await web.stop()
    miniapp = app.bot_data.pop("miniapp_server", None)
    if miniapp is not None:
        await miniapp.stop()
    intake = app.bot_data.pop("intake", None)
    if intake is not None:
        await intake.stop()
    runner: InboxRunner = app.bot_data["inbox"]
    await runner.stop()


async def serve(app: Application) -> None:
    """Run until SIGTERM or SIGINT, then stop in order (what `python main.py run` does)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await app.initialize()
    try:
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        try:
            await start_receiving(app)
            await stop.wait()
        finally:
            await stop_receiving(app)
            await app.stop()
    finally:
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)


def run(settings: Settings) -> None:
    """Run the bot until it is stopped, holding the database's run lock meanwhile (a restore
    refuses to replace the database under it: bot/storage/backup.py)."""
    from bot.storage.backup import running_lock

    if settings.uses_postgres:  # no file a restore replaces (PostgreSQL: pg_dump, PITR)
        asyncio.run(serve(build_application(settings, freeze_heap=True)))
        return
    with running_lock(settings.database_path, shared=True) as mine:
        if not mine:
            raise SystemExit(f"a restore is replacing {settings.database_path}: try again after it")
        asyncio.run(serve(build_application(settings, freeze_heap=True)))
