"""The pure rules: money, durations, the deal state machine, categories, limits, settings."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from bot.config import ConfigError, load_settings
from bot.domain import rules
from bot.domain.categories import CATEGORIES, Category, get_category
from bot.domain.durations import (
    format_duration,
    parse_deadline,
    parse_duration,
    parse_extension,
    utc_text,
)
from bot.domain.errors import Conflict, DomainError, InvalidInput
from bot.domain.money import Money, check_amount, format_money, parse_amount, percent_of
from bot.domain.states import (
    FINAL_DEAL_STATES,
    DealAction,
    DealState,
    allowed_actions,
    next_deal_state,
)


def refusal(call, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as info:
        call(*args, **kwargs)
    return info.value


# --- money ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("150", "XTR", 150),
        (" 150 ", "XTR", 150),
        ("1", "XTR", 1),
        ("1000000", "XTR", 1_000_000),
        ("150", "USD", 15000),
        ("99.5", "USD", 9950),
        ("99,50", "USD", 9950),
        ("1.01", "EUR", 101),
        ("1000000.00", "USD", 100_000_000),
        ("500", "JPY", 500),
    ],
)
def test_parse_amount_accepts(text: str, currency: str, minor: int) -> None:
    assert parse_amount(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency"),
    [
        ("-5", "XTR"),
        ("abc", "XTR"),
        ("1.5", "XTR"),
        ("0", "XTR"),
        ("0", "USD"),
        ("0.99", "USD"),
        ("1000001", "XTR"),
        ("1000000.01", "USD"),
        ("1e3", "XTR"),
        ("", "XTR"),
        ("   ", "XTR"),
        ("1.005", "USD"),
        ("1.5", "JPY"),
        ("1 000", "XTR"),
        ("+5", "XTR"),
        ("5$", "USD"),
    ],
)
def test_parse_amount_refuses(text: str, currency: str) -> None:
    err = refusal(parse_amount, text, currency)
    assert isinstance(err, InvalidInput)
    assert err.key == "amount.invalid"
    assert err.params == {"min": 1, "max": 1_000_000}


def test_parse_amount_refuses_none() -> None:
    assert refusal(parse_amount, None, "XTR").key == "amount.invalid"


def test_check_amount_bounds_in_whole_units() -> None:
    assert check_amount(1, "XTR") == 1
    assert check_amount(1_000_000, "XTR") == 1_000_000
    assert check_amount(100, "USD") == 100
    assert check_amount(100_000_000, "USD") == 100_000_000
    for minor, cur in [(0, "XTR"), (1_000_001, "XTR"), (99, "USD"), (100_000_001, "USD")]:
        assert refusal(check_amount, minor, cur).key == "amount.invalid"
    for bad in (1.0, True, "5"):
        with pytest.raises(TypeError):
            check_amount(bad, "XTR")  # type: ignore[arg-type]


def test_money_is_integer_minor_units_only() -> None:
    assert Money(150, "XTR").amount == 150
    for bad in (1.5, 150.0, True, False, "150", None):
        with pytest.raises(TypeError):
            Money(bad, "XTR")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Money(1, "xtr")
    with pytest.raises(ValueError):
        Money(1, "DOLLARS")


def test_money_arithmetic_keeps_one_currency() -> None:
    assert Money(100, "XTR") + Money(50, "XTR") == Money(150, "XTR")
    assert Money(100, "XTR") - Money(30, "XTR") == Money(70, "XTR")
    with pytest.raises(TypeError):
        Money(100, "XTR") + Money(1, "USD")
    with pytest.raises(TypeError):
        Money(100, "XTR") + 1  # type: ignore[operator]


def test_format_money() -> None:
    assert format_money(150, "XTR") == "150 ⭐"
    assert format_money(0, "XTR") == "0 ⭐"
    assert format_money(15000, "USD") == "$150.00"
    assert format_money(9950, "USD") == "$99.50"
    assert format_money(1, "USD") == "$0.01"
    assert Money(15000, "USD").format() == "$150.00"
    assert Money(7, "XTR").format() == "7 ⭐"
    with pytest.raises(TypeError):
        format_money(1.5, "USD")  # type: ignore[arg-type]


def test_format_money_uses_the_locale() -> None:
    text = format_money(15000, "USD", "ru")
    assert "150,00" in text
    assert "$" in text


@pytest.mark.parametrize(
    ("amount", "percent", "expected"),
    [
        (100, 10, 10),
        (150, 10, 15),
        (155, 10, 15),
        (99, 10, 9),
        (9, 10, 0),
        (100, 0, 0),
        (100, 100, 100),
        (100, 30, 30),
        (1, 50, 0),
        (0, 50, 0),
    ],
)
def test_percent_of_rounds_down(amount: int, percent: int, expected: int) -> None:
    assert percent_of(amount, percent) == expected


def test_percent_of_refuses_floats_and_out_of_range() -> None:
    with pytest.raises(TypeError):
        percent_of(100.0, 10)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        percent_of(100, 10.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        percent_of(True, 10)  # type: ignore[arg-type]
    for bad in (-1, 101):
        with pytest.raises(ValueError):
            percent_of(100, bad)


# --- durations and deadlines -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("15m", 900),
        ("2h", 7200),
        ("3d", 259200),
        ("1w", 604800),
        (" 2H ", 7200),
        ("48h", 172800),
        ("2 d", 172800),
        # English words, any number form
        ("3 days", 259200),
        ("1 day", 86400),
        ("2 hours", 7200),
        ("1 hr", 3600),
        ("30 min", 1800),
        ("45 minutes", 2700),
        ("10 sec", 10),
        ("2 weeks", 1209600),
        ("1 wk", 604800),
        # Russian words and abbreviations, any number form
        ("2д", 172800),
        ("2 д", 172800),
        ("1 день", 86400),
        ("2 дня", 172800),
        ("5 дней", 432000),
        ("3 дн.", 259200),
        ("12ч", 43200),
        ("1 час", 3600),
        ("3 часа", 10800),
        ("24 часов", 86400),
        ("30 мин", 1800),
        ("30 мин.", 1800),
        ("15м", 900),
        ("1 минута", 60),
        ("2 минуты", 120),
        ("5 минут", 300),
        ("1 минуту", 60),
        ("90с", 90),
        ("30 сек", 30),
        ("1 секунда", 1),
        ("10 секунд", 10),
        ("1 нед", 604800),
        ("1 нед.", 604800),
        ("1 неделя", 604800),
        ("1 неделю", 604800),
        ("2 недели", 1209600),
        ("5 недель", 3024000),
        ("2 ДНЯ", 172800),
        (" 3 Часа ", 10800),
    ],
)
def test_parse_duration(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    "text",
    [
        "",
        "0s",
        "0d",
        "0 дней",
        "3",
        "d",
        "дня",
        "3x",
        "1.5h",
        "1,5 часа",
        "-1d",
        "1h30m",
        "1 час 30 минут",
        "12345678s",
        "2 месяца",
        "1 year",
        "²d",
        "٣ дня",
        "3 дняя",
        "3 days ago",
    ],
)
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_format_duration() -> None:
    assert format_duration(259200) == "3d"
    assert format_duration(5400) == "90m"
    assert format_duration(3600) == "1h"
    assert format_duration(604800) == "1w"
    assert format_duration(61) == "61s"


NOW = int(datetime(2026, 6, 1, 12, 0, tzinfo=UTC).timestamp())


def test_parse_deadline_durations() -> None:
    assert parse_deadline("3d", NOW, 3600) == NOW + 3 * 86400
    assert parse_deadline("12h", NOW, 3600) == NOW + 12 * 3600
    assert parse_deadline("2w", NOW, 3600) == NOW + 14 * 86400
    assert parse_deadline("1h", NOW, 3600) == NOW + 3600  # exactly the minimum is fine


def test_parse_deadline_dates() -> None:
    end_of_day = int(datetime(2026, 12, 1, 23, 59, tzinfo=UTC).timestamp())
    assert parse_deadline("2026-12-01", NOW, 3600) == end_of_day
    at_six = int(datetime(2026, 12, 1, 18, 0, tzinfo=UTC).timestamp())
    assert parse_deadline("2026-12-01 18:00", NOW, 3600) == at_six
    assert parse_deadline("2026-12-01T18:00", NOW, 3600) == at_six
    assert utc_text(at_six) == "2026-12-01 18:00 UTC"


@pytest.mark.parametrize("text", ["30m", "59m", "3599s", "2026-06-01 12:30", "2026-05-01"])
def test_parse_deadline_too_soon(text: str) -> None:
    err = refusal(parse_deadline, text, NOW, 3600)
    assert err.key == "deadline.too_soon"
    assert err.params == {"min": 3600}


def test_parse_deadline_too_soon_names_the_minimum() -> None:
    assert refusal(parse_deadline, "1d", NOW, 2 * 86400).params == {"min": 2 * 86400}


def test_russian_deadlines_and_extensions() -> None:
    assert parse_deadline("2 дня", NOW, 3600) == NOW + 2 * 86400
    assert parse_deadline("1 нед", NOW, 3600) == NOW + 604800
    assert parse_extension("3 часа") == 3 * 3600
    assert refusal(parse_extension, "2 месяца").key == "duration.invalid"
    assert refusal(parse_deadline, "30 мин", NOW, 3600).key == "deadline.too_soon"


@pytest.mark.parametrize(
    "text",
    ["", "tomorrow", "2026-13-01", "2026-02-30", "2026-12-01 25:00", "01.12.2026", "2040-01-01"],
)
def test_parse_deadline_invalid(text: str) -> None:
    assert refusal(parse_deadline, text, NOW, 3600).key == "deadline.invalid"


def test_parse_extension() -> None:
    assert parse_extension("2d") == 2 * 86400
    assert parse_extension("12h") == 12 * 3600
    assert parse_extension("52w") == 52 * 604800
    assert parse_extension("365d") == 365 * 86400
    for bad in ("", "0d", "abc", "-1d", "366d", "53w", "1.5d"):
        assert refusal(parse_extension, bad).key == "duration.invalid", bad


# --- the deal state machine (SPEC section 6) ------------------------------------------------

S, A = DealState, DealAction

# Written out from the diagram in SPEC section 6, not read from the code.
SPEC_TRANSITIONS = {
    (S.AWAITING_FUNDING, A.PAY): S.FUNDED,
    (S.AWAITING_FUNDING, A.FUNDING_EXPIRED): S.CANCELLED,
    (S.AWAITING_FUNDING, A.CANCEL_UNFUNDED): S.CANCELLED,
    (S.FUNDED, A.DELIVER): S.DELIVERED,
    (S.FUNDED, A.EXTEND): S.FUNDED,
    (S.FUNDED, A.CANCEL): S.REFUNDED,
    (S.FUNDED, A.AUTO_REFUND): S.REFUNDED,
    (S.FUNDED, A.DISPUTE): S.DISPUTED,
    (S.DELIVERED, A.RELEASE): S.RELEASED,
    (S.DELIVERED, A.AUTO_RELEASE): S.RELEASED,
    (S.DELIVERED, A.REVISE): S.FUNDED,
    (S.DELIVERED, A.DISPUTE): S.DISPUTED,
    (S.DISPUTED, A.RESOLVE_RELEASE): S.RELEASED,
    (S.DISPUTED, A.RESOLVE_REFUND): S.REFUNDED,
    (S.DISPUTED, A.RESOLVE_SPLIT): S.SPLIT,
    # Issue 14's milestone contracts: the next milestone, or the end of the plan.
    (S.DELIVERED, A.NEXT_MILESTONE): S.AWAITING_FUNDING,
    (S.DISPUTED, A.NEXT_MILESTONE): S.AWAITING_FUNDING,
    (S.AWAITING_FUNDING, A.CLOSE_MILESTONES): S.RELEASED,
    # Issue 14's hourly contracts: the last week settled ends the contract.
    (S.FUNDED, A.END_CONTRACT): S.RELEASED,
}


@pytest.mark.parametrize(("pair", "after"), list(SPEC_TRANSITIONS.items()), ids=str)
def test_every_legal_move(pair: tuple[DealState, DealAction], after: DealState) -> None:
    state, action = pair
    assert next_deal_state(state, action, 7) == after
    assert next_deal_state(state.value, action, 7) == after  # a raw DB value works too


ILLEGAL = [p for p in itertools.product(DealState, DealAction) if p not in SPEC_TRANSITIONS]


@pytest.mark.parametrize("pair", ILLEGAL, ids=str)
def test_every_other_move_is_a_conflict(pair: tuple[DealState, DealAction]) -> None:
    state, action = pair
    with pytest.raises(Conflict) as info:
        next_deal_state(state, action, 7)
    assert info.value.key == "deal.bad_state"
    assert info.value.params == {"deal": 7, "state": state.value}


def test_final_states_allow_nothing() -> None:
    assert {S.RELEASED, S.REFUNDED, S.SPLIT, S.CANCELLED} == FINAL_DEAL_STATES
    for state in FINAL_DEAL_STATES:
        assert allowed_actions(state) == []
    assert set(allowed_actions(S.DISPUTED)) == {
        A.RESOLVE_RELEASE,
        A.RESOLVE_REFUND,
        A.RESOLVE_SPLIT,
        A.NEXT_MILESTONE,
    }


def test_unknown_state_is_not_silently_accepted() -> None:
    with pytest.raises(ValueError):
        next_deal_state("paid", A.RELEASE, 1)


# --- categories -------------------------------------------------------------------------------


def test_templates_cover_the_spec_categories() -> None:
    assert set(CATEGORIES) == {
        "writing",
        "programming",
        "design",
        "marketing",
        "translation",
        "admin",
        "other",
    }
    for cat in CATEGORIES.values():
        ids = [q.id for q in cat.questions]
        assert len(ids) == len(set(ids))
        for q in cat.questions:
            if q.min is not None and q.max is not None:
                assert q.min <= q.max
    writing = {q.id for q in CATEGORIES["writing"].questions}
    assert {"pages", "topic", "style", "words_per_page", "native"} <= writing
    assert {"stack", "repo"} == {q.id for q in CATEGORIES["programming"].questions}


def test_a_template_with_duplicate_questions_is_refused() -> None:
    with pytest.raises(ValidationError):
        Category.model_validate(
            {"id": "x", "questions": [{"id": "a", "kind": "text"}, {"id": "a", "kind": "int"}]}
        )
    with pytest.raises(ValidationError):
        Category.model_validate({"id": "x", "questions": [{"id": "a", "kind": "date"}]})


def test_unknown_category() -> None:
    assert get_category("writing").id == "writing"
    assert refusal(get_category, "cooking").key == "job.category_invalid"


def test_writing_answers_parsed() -> None:
    answers = get_category("writing").parse_answers(
        {"pages": " 10 ", "topic": "Telegram bots", "native": "Yes", "style": "skip"}
    )
    assert answers == {"pages": 10, "topic": "Telegram bots", "native": True}
    assert get_category("writing").parse_answers(
        {"pages": "1", "topic": "x", "native": "нет", "words_per_page": "300", "style": "formal"}
    ) == {"pages": 1, "topic": "x", "native": False, "words_per_page": 300, "style": "formal"}


def test_programming_answers_parsed() -> None:
    cat = get_category("programming")
    assert cat.parse_answers({"stack": "python"}) == {"stack": "python"}
    assert cat.parse_answers({"stack": "go", "repo": "https://github.com/x/y"}) == {
        "stack": "go",
        "repo": "https://github.com/x/y",
    }
    assert get_category("other").parse_answers({}) == {}


@pytest.mark.parametrize(
    ("category", "answers", "key", "question"),
    [
        ("writing", {"topic": "x", "native": "yes"}, "question.required", "pages"),
        ("writing", {"pages": "0", "topic": "x", "native": "yes"}, "question.int", "pages"),
        ("writing", {"pages": "1001", "topic": "x", "native": "yes"}, "question.int", "pages"),
        ("writing", {"pages": "ten", "topic": "x", "native": "yes"}, "question.int", "pages"),
        ("writing", {"pages": "-3", "topic": "x", "native": "yes"}, "question.int", "pages"),
        ("writing", {"pages": "2", "topic": "x", "native": "maybe"}, "question.bool", "native"),
        ("writing", {"pages": "2", "topic": "x" * 201, "native": "y"}, "question.text", "topic"),
        ("writing", {"pages": "2", "topic": "-", "native": "y"}, "question.required", "topic"),
        (
            "writing",
            {"pages": "2", "topic": "x", "native": "y", "words_per_page": "10"},
            "question.int",
            "words_per_page",
        ),
        ("programming", {"stack": "  "}, "question.required", "stack"),
        ("programming", {"stack": "go", "repo": "ftp://x.org"}, "question.url", "repo"),
        ("programming", {"stack": "go", "repo": "github.com/x"}, "question.url", "repo"),
        ("admin", {"hours_per_week": "81"}, "question.int", "hours_per_week"),
        ("translation", {"languages": "en-ru", "native": "no"}, "question.required", "words"),
    ],
)
def test_answers_refused(category: str, answers: dict, key: str, question: str) -> None:
    err = refusal(get_category(category).parse_answers, answers)
    assert err.key == key
    assert err.params["question"] == question


# --- limits on what people type ---------------------------------------------------------------


def test_title_limits() -> None:
    assert rules.title("Hello") == "Hello"
    assert rules.title("  " + "x" * 100 + "  ") == "x" * 100
    for bad in ("Hi!!", "", None, "x" * 101, "  abc  "):
        err = refusal(rules.title, bad)
        assert err.key == "job.title_length"
        # The refusal says how long the title was, as well as the limits.
        length = len(rules.clean_text(bad))
        assert err.params == {"min": 5, "max": 100, "length": length}


def test_description_limits() -> None:
    assert rules.description("d" * 20) == "d" * 20
    assert rules.description("d" * 3000) == "d" * 3000
    for bad in ("d" * 19, "d" * 3001, ""):
        assert refusal(rules.description, bad).key == "job.description_length"


def test_control_characters_are_dropped() -> None:
    assert rules.clean_text(" a\x00b\x07c\n\td ") == "abc\n\td"
    assert rules.clean_text(None) == ""
    # Padding with NULs does not sneak a short title through.
    assert refusal(rules.title, "ab\x00\x00\x00\x00").key == "job.title_length"


def test_cover_letter_limit() -> None:
    assert rules.cover_letter("c" * 2000) == "c" * 2000
    assert rules.cover_letter("") == ""
    err = refusal(rules.cover_letter, "c" * 2001)
    assert err.key == "bid.cover_too_long"
    assert err.params == {"max": 2000, "length": 2001}


def test_days_limits() -> None:
    assert rules.days(1) == 1
    assert rules.days(365) == 365
    for bad in (0, -1, 366, True, 3.0, "3"):
        err = refusal(rules.days, bad)
        assert err.key == "bid.days_invalid"
        assert err.params == {"min": 1, "max": 365}
    assert rules.parse_days(" 7 ") == 7
    for bad in ("abc", "", "1.5", "0", "400"):
        assert refusal(rules.parse_days, bad).key == "bid.days_invalid"


@pytest.mark.parametrize(("text", "minutes"), [("1", 60), ("1.5", 90), ("0,5", 30), ("24", 1440)])
def test_hours_accepted(text: str, minutes: int) -> None:
    assert rules.hours_to_minutes(text) == minutes


@pytest.mark.parametrize("text", ["0", "-1", "25", "24.5", "abc", "", "nan", "inf", "0.001"])
def test_hours_refused(text: str) -> None:
    err = refusal(rules.hours_to_minutes, text)
    assert err.key == "log.hours_invalid"
    assert err.params == {"max": 24}


def test_budget_stars_percent() -> None:
    assert rules.budget(100, 200, "XTR") == (100, 200)
    assert rules.budget(150, 150, "XTR") == (150, 150)
    assert refusal(rules.budget, 200, 100, "XTR").key == "job.budget_invalid"
    assert refusal(rules.budget, 0, 100, "XTR").key == "amount.invalid"
    assert refusal(rules.budget, 1, 1_000_001, "XTR").key == "amount.invalid"
    assert [rules.stars(n) for n in (1, 5)] == [1, 5]
    for bad in (0, 6, True, 4.5):
        assert refusal(rules.stars, bad).key == "rating.invalid"
    assert [rules.percent(n) for n in (0, 50, 100)] == [0, 50, 100]
    for bad in (-1, 101, True, 50.0):
        assert refusal(rules.percent, bad).key == "percent.invalid"


def test_text_in_range() -> None:
    assert rules.text_in_range(" why ", 1, 10, "reason.required") == "why"
    err = refusal(rules.text_in_range, "  ", 1, 10, "reason.required")
    assert (err.key, err.params) == ("reason.required", {"min": 1, "max": 10, "length": 0})


def test_domain_error_text() -> None:
    err = Conflict("deal.bad_state", deal=5, state="funded")
    assert str(err) == "deal.bad_state(deal=5, state='funded')"
    assert str(InvalidInput("amount.invalid")) == "amount.invalid"
    assert "deal.bad_state" in repr(err)


# --- configuration (SPEC section 8) -----------------------------------------------------------

ENV_VARS = [
    "BOT_TOKEN",
    "BOT_API_BASE_URL",
    "DATABASE_URL",
    "MODERATOR_CHAT_ID",
    "ADMIN_USER_IDS",
    "JOBS_CHANNEL_ID",
    "PAYMENT_PROVIDER_TOKEN",
    "CURRENCY",
    "PLATFORM_FEE_PERCENT",
    "BIDDING_WINDOW",
    "FUNDING_WINDOW",
    "REVIEW_WINDOW",
    "DELIVERY_GRACE",
    "NUDGE_LEAD",
    "DISPUTE_RESPONSE_WINDOW",
    "DISPUTE_SLA",
    "FEEDBACK_WINDOW",
    "MIN_DEADLINE",
    "MAX_REVISIONS",
    "DEFAULT_LOCALE",
]


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path):
    """A clean environment and a working directory without a `.env` file."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def test_defaults(env: pytest.MonkeyPatch) -> None:
    s = load_settings()
    assert s.currency == "XTR"
    assert s.uses_stars
    assert s.platform_fee_percent == 10
    assert s.bidding_window == 7 * 86400
    assert s.funding_window == 48 * 3600
    assert s.review_window == 7 * 86400
    assert s.delivery_grace == 72 * 3600
    assert s.nudge_lead == 24 * 3600
    assert s.dispute_response_window == 4 * 86400
    assert s.dispute_sla == 48 * 3600
    assert s.feedback_window == 14 * 86400
    assert s.min_deadline == 3600
    assert s.max_revisions == 2
    assert s.admin_user_ids == []
    assert s.moderator_chat_id is None
    assert s.jobs_channel_id is None
    assert s.default_locale == "en"
    assert s.database_path == "data/marketplace.db"


def test_durations_and_ids_from_env(env: pytest.MonkeyPatch) -> None:
    env.setenv("BIDDING_WINDOW", "3d")
    env.setenv("FUNDING_WINDOW", "90s")
    env.setenv("REVIEW_WINDOW", "1w")
    env.setenv("DELIVERY_GRACE", "2h")
    env.setenv("NUDGE_LEAD", "15m")
    env.setenv("DISPUTE_SLA", "36h")
    env.setenv("FEEDBACK_WINDOW", "2w")
    env.setenv("MIN_DEADLINE", "30m")
    env.setenv("ADMIN_USER_IDS", "12345, 67890")
    env.setenv("MODERATOR_CHAT_ID", "-1001234567890")
    env.setenv("JOBS_CHANNEL_ID", "")
    env.setenv("PLATFORM_FEE_PERCENT", "5")
    env.setenv("MAX_REVISIONS", "3")
    s = load_settings()
    assert s.bidding_window == 3 * 86400
    assert s.funding_window == 90
    assert s.review_window == 604800
    assert s.delivery_grace == 7200
    assert s.nudge_lead == 900
    assert s.dispute_sla == 36 * 3600
    assert s.feedback_window == 14 * 86400
    assert s.min_deadline == 1800
    assert s.admin_user_ids == [12345, 67890]
    assert s.moderator_chat_id == -1001234567890
    assert s.jobs_channel_id is None
    assert s.platform_fee_percent == 5
    assert s.max_revisions == 3


def test_env_file_is_read(env: pytest.MonkeyPatch, tmp_path) -> None:
    (tmp_path / ".env").write_text("BOT_TOKEN=1:abc\nBIDDING_WINDOW=2d\n", encoding="utf-8")
    s = load_settings()
    assert s.bot_token == "1:abc"
    assert s.bidding_window == 2 * 86400


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BIDDING_WINDOW", "soon"),
        ("BIDDING_WINDOW", "0s"),
        ("BIDDING_WINDOW", "7"),
        ("FUNDING_WINDOW", "-1h"),
        ("REVIEW_WINDOW", "1.5d"),
        ("NUDGE_LEAD", ""),
        ("FEEDBACK_WINDOW", "2 months"),
        ("PLATFORM_FEE_PERCENT", "150"),
        ("PLATFORM_FEE_PERCENT", "-1"),
        ("PLATFORM_FEE_PERCENT", "ten"),
        ("ADMIN_USER_IDS", "1,two"),
        ("ADMIN_USER_IDS", "[1, 2]"),
        ("MODERATOR_CHAT_ID", "the-group"),
        ("MAX_REVISIONS", "-1"),
        ("DATABASE_URL", "mysql://db/market"),
        ("DATABASE_URL", "sqlite:///"),
        ("DATABASE_POOL_SIZE", "0"),
        ("DEFAULT_LOCALE", "de"),
    ],
)
def test_bad_value_is_one_line_naming_the_variable(
    env: pytest.MonkeyPatch, name: str, value: str
) -> None:
    env.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    text = str(info.value)
    assert name in text
    assert "\n" not in text
    assert text.startswith("Configuration error:")
    assert isinstance(info.value, SystemExit)


def test_currency_errors_name_currency(env: pytest.MonkeyPatch) -> None:
    env.setenv("PAYMENT_PROVIDER_TOKEN", "provider:token")
    env.setenv("CURRENCY", "DOLLARS")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "CURRENCY" in str(info.value)
    assert "\n" not in str(info.value)
    env.setenv("CURRENCY", "XTR")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "CURRENCY" in str(info.value)
    assert "\n" not in str(info.value)


def test_stars_forced_without_provider_token(env: pytest.MonkeyPatch) -> None:
    env.setenv("CURRENCY", "USD")
    s = load_settings()
    assert s.currency == "XTR"
    assert s.uses_stars


def test_provider_currency(env: pytest.MonkeyPatch) -> None:
    env.setenv("PAYMENT_PROVIDER_TOKEN", "provider:token")
    env.setenv("CURRENCY", "usd")
    s = load_settings()
    assert s.currency == "USD"
    assert not s.uses_stars


def test_overrides_win(env: pytest.MonkeyPatch) -> None:
    env.setenv("BIDDING_WINDOW", "3d")
    assert load_settings(bidding_window="1d").bidding_window == 86400
    assert load_settings(bidding_window=120).bidding_window == 120
    with pytest.raises(ConfigError) as info:
        load_settings(bidding_window=0)
    assert "BIDDING_WINDOW" in str(info.value)
