"""Job categories and their own questions, kept as data and validated at import.

Labels and prompts are message keys (`category-<id>`, `question-<category>-<id>`), so every
language translates them; the data here says only what is asked and what an answer may be.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator

from bot.domain.errors import InvalidInput
from bot.domain.numbers import whole
from bot.domain.rules import clean_text

Kind = Literal["int", "text", "bool", "url"]


class Question(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    kind: Kind
    required: bool = True
    min: int | None = None
    max: int | None = None

    def parse(self, raw: str | None) -> str | int | bool | None:
        """Validate an answer; raises InvalidInput with the question's id."""
        text = clean_text(raw)
        if not text or text in {"-", "skip"}:
            if self.required:
                raise InvalidInput("question.required", question=self.id)
            return None
        if self.kind == "int":
            value = whole(text, 0, 9_999_999)
            if value is None:
                raise InvalidInput("question.int", question=self.id, min=self.min, max=self.max)
            if (self.min is not None and value < self.min) or (
                self.max is not None and value > self.max
            ):
                raise InvalidInput("question.int", question=self.id, min=self.min, max=self.max)
            return value
        if self.kind == "bool":
            low = text.lower()
            if low in {"yes", "y", "да", "true", "1"}:
                return True
            if low in {"no", "n", "нет", "false", "0"}:
                return False
            raise InvalidInput("question.bool", question=self.id)
        if self.kind == "url":
            if not re.fullmatch(r"https?://[^\s<>\"]{3,300}", text):
                raise InvalidInput("question.url", question=self.id)
            return text
        limit = self.max or 300
        if len(text) > limit:
            raise InvalidInput("question.text", question=self.id, max=limit, length=len(text))
        return text


class Category(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    questions: tuple[Question, ...] = ()

    @field_validator("questions")
    @classmethod
    def _unique(cls, qs: tuple[Question, ...]) -> tuple[Question, ...]:
        ids = [q.id for q in qs]
        if len(ids) != len(set(ids)):
            raise ValueError("duplicate question id")
        return qs

    def parse_answers(self, answers: dict[str, str | None]) -> dict[str, str | int | bool]:
        out: dict[str, str | int | bool] = {}
        for q in self.questions:
            value = q.parse(answers.get(q.id))
            if value is not None:
                out[q.id] = value
        return out


_TEMPLATES = [
    {
        "id": "writing",
        "questions": [
            {"id": "pages", "kind": "int", "min": 1, "max": 1000},
            {"id": "topic", "kind": "text", "max": 200},
            {"id": "style", "kind": "text", "max": 100, "required": False},
            {"id": "words_per_page", "kind": "int", "min": 50, "max": 2000, "required": False},
            {"id": "native", "kind": "bool"},
        ],
    },
    {
        "id": "programming",
        "questions": [
            {"id": "stack", "kind": "text", "max": 200},
            {"id": "repo", "kind": "url", "required": False},
        ],
    },
    {
        "id": "design",
        "questions": [
            {"id": "deliverable", "kind": "text", "max": 200},
            {"id": "formats", "kind": "text", "max": 100, "required": False},
        ],
    },
    {
        "id": "marketing",
        "questions": [
            {"id": "channel", "kind": "text", "max": 200},
            {"id": "audience", "kind": "text", "max": 200, "required": False},
        ],
    },
    {
        "id": "translation",
        "questions": [
            {"id": "languages", "kind": "text", "max": 100},
            {"id": "words", "kind": "int", "min": 1, "max": 1_000_000},
            {"id": "native", "kind": "bool"},
        ],
    },
    {
        "id": "admin",
        "questions": [{"id": "hours_per_week", "kind": "int", "min": 1, "max": 80}],
    },
    {"id": "other", "questions": []},
]

CATEGORIES: dict[str, Category] = {
    c.id: c for c in (Category.model_validate(t) for t in _TEMPLATES)
}


def get_category(category_id: str) -> Category:
    try:
        return CATEGORIES[category_id]
    except KeyError:
        raise InvalidInput("job.category_invalid") from None
