"""Payments: invoices and invoice links, pre-checkout queries, successful payments, charges
(Telegram Stars and provider currencies), Star refunds and the bot's Star transactions."""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from typing import Any

from sandbox.botapi.errors import MSG_QUERY_TOO_OLD, ApiError, _bad
from sandbox.botapi.model import Charge, SandboxEvent, SimMessage
from sandbox.botapi.parsing import _parse_reply_markup
from sandbox.botapi.people import SimUser
from sandbox.botapi.server import _Params


class PaymentsMixin:
    """Invoices, pre-checkout, charges, Stars and refunds."""

    async def _pay(self, user: SimUser, invoice: SimMessage | str, timeout: float) -> Any:  # noqa: ASYNC109
        if isinstance(invoice, str):
            slug = invoice.rsplit("$", 1)[-1]
            data = self._invoice_links.get(slug)
            if data is None:
                raise AssertionError(f"unknown invoice link {invoice!r}")
            chat = self._chat_for_user(user, None)
        else:
            chat = self._chat_for_user(user, invoice.chat_id)
            live = chat.messages.get(invoice.message_id)
            if live is None or live.deleted or live.invoice_data is None:
                raise AssertionError(
                    f"message #{invoice.message_id} is not an (existing) invoice:\n"
                    + self.transcript(chat.id)
                )
            data = live.invoice_data
        query_id, future = self._push_pre_checkout(user, data)
        try:
            answer = await asyncio.wait_for(asyncio.shield(future), timeout)
        except TimeoutError:
            self._pre_checkouts.pop(query_id, None)
            raise AssertionError(
                f"bot did not answer pre_checkout_query {query_id} (payload "
                f"{data['payload']!r}) within {timeout}s"
            ) from None
        if not answer["ok"]:
            return answer.get("error_message") or ""
        return self._successful_payment(
            user, chat.id, data["payload"], data["total_amount"], data["currency"], None
        )

    def _push_pre_checkout(self, user: SimUser, data: dict) -> tuple[str, asyncio.Future]:
        """Send the bot a pre_checkout_query for invoice `data`; the future gets its answer."""
        query_id = str(5_000_000_000_000_000 + next(self._ids))
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._pre_checkouts[query_id] = {"future": future, "user_id": user.id, "data": data}
        self.push_update(
            "pre_checkout_query",
            {
                "id": query_id,
                "from": user.api(),
                "currency": data["currency"],
                "total_amount": data["total_amount"],
                "invoice_payload": data["payload"],
            },
        )
        return query_id, future

    def add_charge(
        self,
        user_id: int,
        currency: str,
        total_amount: int,
        payload: str,
        charge_id: str | None = None,
        provider_charge_id: str = "",
        date: int | None = None,
    ) -> Charge:
        """Record a payment Telegram took (a Stars one is also a Star transaction). The
        payment flow calls it; a test calls it alone for a payment whose update the bot
        never got, or to give the bot a long history."""
        if charge_id is None:
            charge_id = f"{'stxsim' if currency == 'XTR' else 'tgsim'}{secrets.token_hex(16)}"
        when = self.now() if date is None else date
        charge = Charge(
            charge_id, user_id, currency, total_amount, payload, provider_charge_id, when
        )
        self.charges[charge_id] = charge
        if currency == "XTR":
            self.star_transactions.append((charge, "in", when))
        return charge

    def _successful_payment(
        self,
        user: SimUser,
        chat_id: int,
        payload: str,
        total_amount: int,
        currency: str,
        charge_id: str | None,
    ) -> SimMessage:
        chat = self._chat_for_user(user, chat_id)
        charge = self.charges.get(charge_id) if charge_id is not None else None
        if charge is None:
            provider_id = "" if currency == "XTR" else f"prov_{secrets.token_hex(8)}"
            charge = self.add_charge(
                user.id, currency, total_amount, payload, charge_id, provider_id
            )
        charge_id = charge.charge_id
        payment = {
            "currency": currency,
            "total_amount": total_amount,
            "invoice_payload": payload,
            "telegram_payment_charge_id": charge_id,
            "provider_payment_charge_id": charge.provider_charge_id,
        }
        msg = self._new_message(
            chat,
            from_bot=False,
            sender=user.api(),
            kind="successful_payment",
            successful_payment=payment,
        )
        self._emit(SandboxEvent("payment", chat.id, msg.snapshot(), dict(payment)))
        self._publish_user_message(chat, msg)
        return msg

    # payments
    def _parse_invoice(self, p: _Params) -> dict:
        title = p.str("title") or ""
        description = p.str("description") or ""
        payload = p.str("payload") or ""
        currency = (p.str("currency") or "").upper()
        provider_token = p.str("provider_token") or ""
        if not 1 <= len(title) <= 32:
            raise _bad("INVOICE_TITLE_INVALID" if title else "title is empty")
        if not 1 <= len(description) <= 255:
            raise _bad("INVOICE_DESCRIPTION_INVALID" if description else "description is empty")
        if not 1 <= len(payload.encode("utf-8")) <= 128:
            raise _bad("INVOICE_PAYLOAD_INVALID" if payload else "payload is empty")
        if not currency:
            raise _bad("currency is empty")
        prices = p.json("prices", "prices")
        if not isinstance(prices, list) or not prices:
            raise _bad("can't parse prices JSON object")
        for price in prices:
            if (
                not isinstance(price, dict)
                or not isinstance(price.get("label"), str)
                or not isinstance(price.get("amount"), int)
            ):
                raise _bad("can't parse LabeledPrice JSON object")
        total = sum(price["amount"] for price in prices)
        if currency == "XTR":
            if provider_token:
                raise _bad("PAYMENT_PROVIDER_INVALID: provider_token must be empty for XTR")
            if len(prices) != 1:
                raise _bad("STARS_INVOICE_INVALID: exactly one price must be specified for XTR")
            if p.int("max_tip_amount") or p.json("suggested_tip_amounts"):
                raise _bad("STARS_INVOICE_INVALID: tips are not supported for XTR")
            if not 1 <= total <= 100_000:
                raise _bad("CURRENCY_TOTAL_AMOUNT_INVALID")
        else:
            if not provider_token:
                raise _bad("PAYMENT_PROVIDER_INVALID")
            if not re.fullmatch(r"[A-Z]{3}", currency):
                raise _bad("CURRENCY_INVALID")
            if total <= 0:
                raise _bad("CURRENCY_TOTAL_AMOUNT_INVALID")
        return {
            "title": title,
            "description": description,
            "payload": payload,
            "currency": currency,
            "prices": prices,
            "total_amount": total,
            "provider_token": provider_token,
            "start_parameter": p.str("start_parameter") or "",
        }

    def _m_send_invoice(self, p: _Params) -> dict:
        data = self._parse_invoice(p)
        markup = _parse_reply_markup(p.raw("reply_markup"))
        if markup is not None:
            rows = markup.get("inline_keyboard")
            if not rows or not rows[0] or not rows[0][0].get("pay"):
                raise _bad("REPLY_MARKUP_BUY_EMPTY: the first button must be a Pay button")
        else:
            total = data["total_amount"]
            label = (
                f"Pay ⭐️{total}"
                if data["currency"] == "XTR"
                else (f"Pay {total / 100:.2f} {data['currency']}")
            )
            markup = {"inline_keyboard": [[{"text": label, "pay": True}]]}
        chat = self._send_target(p)
        invoice = {
            "title": data["title"],
            "description": data["description"],
            "start_parameter": data["start_parameter"],
            "currency": data["currency"],
            "total_amount": data["total_amount"],
        }
        msg = self._deliver(
            p,
            chat,
            event="invoice",
            kind="invoice",
            body=f"{data['title']}\n{data['description']}",
            invoice=invoice,
            invoice_data=data,
            markup=markup,
        )
        return self.render(msg)

    def _m_create_invoice_link(self, p: _Params) -> str:
        data = self._parse_invoice(p)
        slug = secrets.token_urlsafe(12)
        self._invoice_links[slug] = data
        return f"https://t.me/${slug}"

    def _m_answer_pre_checkout_query(self, p: _Params) -> bool:
        query_id = p.str("pre_checkout_query_id") or ""
        entry = self._pre_checkouts.get(query_id)
        if entry is None or entry["future"].done():
            raise ApiError(400, MSG_QUERY_TOO_OLD)
        if not p.has("ok"):
            raise _bad("ok is empty")
        is_ok = p.bool("ok")
        error_message = p.str("error_message")
        if not is_ok and not error_message:
            raise _bad("error_message is empty")
        del self._pre_checkouts[query_id]
        entry["future"].set_result({"ok": is_ok, "error_message": error_message})
        self._emit(
            SandboxEvent(
                "pre_checkout_answer",
                entry["user_id"],
                None,
                {"query_id": query_id, "ok": is_ok, "error_message": error_message},
            )
        )
        return True

    def _m_refund_star_payment(self, p: _Params) -> bool:
        user_id = p.req_int("user_id")
        charge_id = p.str("telegram_payment_charge_id") or ""
        if not charge_id:
            raise _bad("telegram_payment_charge_id is empty")
        charge = self.charges.get(charge_id)
        if charge is None or charge.user_id != user_id or charge.currency != "XTR":
            raise _bad("CHARGE_NOT_FOUND")
        if charge.refunded:
            raise _bad("CHARGE_ALREADY_REFUNDED")
        charge.refunded = True
        self.refunds.append(charge)
        self.star_transactions.append((charge, "out", int(time.time())))
        self._emit(
            SandboxEvent(
                "refund", user_id, None, {"charge_id": charge_id, "amount": charge.total_amount}
            )
        )
        return True

    def _m_get_star_transactions(self, p: _Params) -> dict:
        """As Telegram: the bot's Star transactions in chronological order (oldest first),
        `offset` of them skipped, at most `limit` (1-100, default 100); past the end, none.
        A refund is a transaction of its own, at the time it happened, with the id of the
        payment it returns."""
        offset = max(0, p.int("offset", 0) or 0)
        limit = min(100, max(1, p.int("limit", 100) or 100))
        txs = []
        for charge, direction, date in self.star_transactions[offset : offset + limit]:
            partner: dict[str, Any] = {
                "type": "user",
                "transaction_type": "invoice_payment",
                "user": self.users[charge.user_id].api(),
            }
            tx: dict[str, Any] = {"id": charge.charge_id, "amount": charge.total_amount}
            tx["date"] = date
            if direction == "in":
                partner["invoice_payload"] = charge.payload
                tx["source"] = partner
            else:
                tx["receiver"] = partner
            txs.append(tx)
        return {"transactions": txs}
