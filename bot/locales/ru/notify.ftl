## Уведомления (outbox), карточка сделки и ответы команд сделок.
## Параметры на _at и суммы приходят уже отформатированными.

## Общие части

notify-quote = <blockquote>{ $text }</blockquote>
notify-reason-line = Причина: { $reason }
notify-note-line = Комментарий: { $note }
notify-answering = В ответ на:
    <blockquote>{ $text }</blockquote>
notify-reply-hint = <i>Чтобы ответить, ответьте на это сообщение.</i>
notify-files-follow = { $files ->
        [one] 📎 Ниже { $files } файл.
        [few] 📎 Ниже { $files } файла.
       *[other] 📎 Ниже { $files } файлов.
    }
notify-summary-freelancer = { $rating } · завершённых сделок: { $completed } · на площадке с { $since }
notify-summary-rating = ⭐ { $rating } ({ $count })
notify-summary-no-rating = оценок пока нет
notify-rate-now = Как всё прошло? Оцените от 1 до 5 (с отзывом: /rate { $deal } &lt;1-5&gt; &lt;отзыв&gt;).

## Заказы и отклики

notify-job-live = ✅ Заказ #{ $job } опубликован: «{ $title }». Отклики будут приходить в этот чат.
notify-bid-new = 📩 Новый отклик на заказ #{ $job } «{ $title }»: отклик #{ $bid } от { $freelancer_name }, { $amount } за { $days ->
        [one] { $days } день
        [few] { $days } дня
       *[other] { $days } дней
    }.
notify-bid-updated = ✏️ { $freelancer_name } изменил(а) отклик #{ $bid } на заказ #{ $job } «{ $title }»: теперь { $amount } за { $days ->
        [one] { $days } день
        [few] { $days } дня
       *[other] { $days } дней
    }.
notify-btn-view-bids = Смотреть отклики
notify-bid-withdrawn = ↩️ { $freelancer_name } отозвал(а) отклик #{ $bid } на заказ #{ $job } «{ $title }».
notify-bid-declined = Ваш отклик #{ $bid } на заказ #{ $job } «{ $title }» отклонён.
notify-job-filled = Заказ #{ $job } «{ $title }» достался другому исполнителю; ваш отклик #{ $bid } закрыт.
notify-job-closed-bidder = Заказчик закрыл заказ #{ $job } «{ $title }»; ваш отклик #{ $bid } закрыт.
notify-job-expired-bidder = Приём откликов на заказ #{ $job } «{ $title }» закончился без выбора исполнителя; ваш отклик #{ $bid } закрыт.
notify-job-removed-bidder = Модераторы сняли заказ #{ $job } «{ $title }»; ваш отклик #{ $bid } закрыт.
notify-job-removed-client = Модераторы сняли ваш заказ #{ $job } «{ $title }».
notify-job-removed-deal = Сделка #{ $deal }, ждавшая вашей оплаты, отменена; вы ничего не платили.
notify-job-expired-client = Приём откликов на ваш заказ #{ $job } «{ $title }» закончился без выбора исполнителя. Опубликовать его снова в том же виде: /repost { $job }.
notify-job-nudge = ⏰ Приём откликов на заказ #{ $job } «{ $title }» закрывается { $ends_at }. У вас { $bids ->
        [one] { $bids } отклик
        [few] { $bids } отклика
       *[other] { $bids } откликов
    }; выбрать исполнителя: /accept &lt;отклик&gt;.
notify-shortlisted = ⭐ Вы в шорт-листе заказа #{ $job } «{ $title }» (отклик #{ $bid }). Вот его закрытое ТЗ, только для вас:
notify-shortlisted-no-brief = ⭐ Вы в шорт-листе заказа #{ $job } «{ $title }» (отклик #{ $bid }). Заказчик может попросить вас о небольшом тестовом задании или выбрать вас исполнителем.
notify-shortlisted-nda = ⭐ Вы в шорт-листе заказа #{ $job } «{ $title }» (отклик #{ $bid }). Чтобы увидеть закрытое ТЗ, заказчик просит принять соглашение о неразглашении.
notify-nda-text = <b>Соглашение:</b>
    <blockquote>{ $nda }</blockquote>
notify-btn-nda-accept = Принять соглашение
notify-btn-nda-decline = Отказаться
notify-brief = 🔒 <b>Закрытое ТЗ заказа #{ $job } «{ $title }»</b>
    <blockquote>{ $brief }</blockquote>
notify-brief-body = 🔒 <b>Закрытое ТЗ</b>
    <blockquote>{ $brief }</blockquote>
notify-nda-accepted = { $freelancer_name } принял(а) соглашение по заказу #{ $job } (отклик #{ $bid }) и получил(а) закрытое ТЗ.
notify-nda-declined = { $freelancer_name } отказался(-ась) от соглашения по заказу #{ $job } (отклик #{ $bid }).
notify-trial-requested = 🧪 Заказчик заказа #{ $job } «{ $title }» просит выполнить небольшое бесплатное тестовое задание (тест #{ $trial }) перед наймом:
    <blockquote>{ $task }</blockquote>
notify-btn-trial-accept = Взяться за тест
notify-btn-trial-decline = Отказаться
notify-trial-accepted = 🧪 { $freelancer_name } взял(а) тест #{ $trial } (отклик #{ $bid }, заказ #{ $job }).
notify-trial-declined = 🧪 { $freelancer_name } отказался(-ась) от теста #{ $trial } (отклик #{ $bid }, заказ #{ $job }).
notify-trial-submitted = 🧪 { $freelancer_name } сдал(а) тест #{ $trial } (отклик #{ $bid }, заказ #{ $job }).
notify-invited = 👋 { $client_name } приглашает вас откликнуться на заказ #{ $job } «{ $title }».
notify-btn-bid = Откликнуться
notify-question = ❓ Вопрос по заказу #{ $job } «{ $title }» от { $from_name }:
notify-message = 💬 { $from_name } по заказу #{ $job } «{ $title }» (отклик #{ $bid }):
notify-message-nobid = 💬 { $from_name } по заказу #{ $job } «{ $title }»:

## Канал заказов

channel-job =
    <b>{ $title }</b>
    Заказ #{ $job } · { $category } · бюджет { $budget }
    Срок: { $deadline }

    { $description }
channel-budget-range = { $budget_min } – { $budget_max }
channel-job-open = 🟢 Отклики принимаются до { $ends }.
channel-job-hiring = ⏳ Исполнитель выбран; приём ставок приостановлен.
channel-job-filled = ✅ Исполнитель найден: отклики больше не принимаются.
channel-job-closed = ⛔ Закрыт: отклики больше не принимаются.
channel-job-expired = ⌛ Срок приёма ставок истёк.
channel-job-removed = 🚫 Заказ снят модераторами.
channel-btn-bid = Открыть и откликнуться
channel-btn-view = Открыть заказ

## Сделки

invoice-title = Сделка #{ $deal }
invoice-description = Оплатите до { $due_at }. Заказ #{ $job } «{ $title }»: { $amount } хранятся на гарантийном счёте, пока вы не передадите их исполнителю.
invoice-label = Сделка #{ $deal }, гарантия
invoice-unpayable = Сделка #{ $deal } оценена в { $currency }, а платежи в { $currency } сейчас здесь не принимаются, поэтому счёт на оплату не выставлен; сделка отменится, когда закончится срок оплаты.
notify-hired-pending = 🎉 Ваш отклик #{ $bid } на заказ #{ $job } «{ $title }» приняли! Сделка #{ $deal } ({ $amount }) ждёт оплаты заказчиком; мы сообщим, когда она будет оплачена. Пожалуйста, не начинайте работу до этого.
notify-payment-refunded = Сделка #{ $deal } уже не ждала оплаты, поэтому ваш платёж { $amount } возвращается вам: { $how ->
        [stars] возврат запрошен у Telegram, и как только звёзды вернутся к вам, придёт сообщение.
       *[other] деньги отложены для вас как выплата #{ $payout }, её переведёт модератор (см. /balance); когда она будет произведена, придёт сообщение.
    }
notify-deal-funded-client = 💰 Оплата получена: сделка #{ $deal } оплачена, { $amount } на гарантийном счёте. Срок сдачи: { $due_at }. Мы сообщим, когда работа будет сдана.
notify-deal-funded-freelancer = 💰 Сделка #{ $deal } по заказу #{ $job } «{ $title }» оплачена: { $amount } ждут вас на гарантийном счёте. Приступайте; сдайте работу до { $due_at } командой /deliver { $deal } [комментарий].
notify-funding-expired-client = Сделка #{ $deal } отменена: её не оплатили вовремя. Заказ #{ $job } снова принимает отклики.
notify-funding-expired-freelancer = Сделка #{ $deal } отменена: заказчик не оплатил её вовремя. Ваш отклик на заказ #{ $job } снова активен.
notify-deal-cancelled-client = Исполнитель отменил сделку #{ $deal } до оплаты. Заказ #{ $job } «{ $title }» снова принимает отклики.
notify-deal-cancelled-freelancer = Заказчик отменил сделку #{ $deal } до оплаты; ваш отклик на заказ #{ $job } «{ $title }» снова активен.
notify-deal-cancelled-removed = Сделка #{ $deal } отменена: модераторы сняли заказ #{ $job } «{ $title }» до оплаты.
notify-delivered = 📦 Сделка #{ $deal }: работа сдана.
notify-delivered-review = Проверьте её до { $review_ends_at }; после этого деньги автоматически перейдут исполнителю.
notify-delivery-files = { $files ->
        [one] 📎 Ещё { $files } файл к сдаче сделки #{ $deal }:
        [few] 📎 Ещё { $files } файла к сдаче сделки #{ $deal }:
       *[other] 📎 Ещё { $files } файлов к сдаче сделки #{ $deal }:
    }
notify-review-nudge = ⏰ Проверка по сделке #{ $deal } заканчивается { $review_ends_at }; после этого деньги перейдут исполнителю автоматически. Подтвердите приёмку, попросите доработку или откройте спор.
notify-revision = ✏️ Заказчик просит доработку по сделке #{ $deal }:
notify-revision-due = Новый срок: { $due_at }. Осталось доработок: { $left }.
notify-extended = ⏳ Заказчик продлил сделку #{ $deal }: новый срок сдачи { $due_at }.
notify-delivery-nudge = ⏰ Срок сдачи по сделке #{ $deal }: { $due_at }. Сдать работу: /deliver { $deal } [комментарий].
notify-delivery-overdue-client = ⏰ Сделка #{ $deal } просрочена: ничего не сдано. Если работа не придёт, деньги вернутся вам { $refund_at }. Дайте ещё день, верните деньги сейчас или подождите.
notify-delivery-overdue-freelancer = ⏰ Сделка #{ $deal } просрочена. Сдайте работу командой /deliver { $deal } до { $refund_at }, иначе деньги вернутся заказчику.
notify-cancel-requested = Заказчик просит отменить сделку #{ $deal } и вернуть { $amount }. Подтвердите, чтобы вернуть деньги заказчику, или откажитесь и продолжайте работу.
notify-cancel-refused-client = Исполнитель отказался отменять сделку #{ $deal }; сделка продолжается. Если не договоритесь, откройте спор: /dispute { $deal } &lt;причина&gt;.
notify-cancel-refused-freelancer = Вы отказались отменять сделку #{ $deal }; сделка продолжается. Если не договоритесь, откройте спор: /dispute { $deal } &lt;причина&gt;.
notify-released-freelancer = ✅ Сделка #{ $deal } завершена: { $paid } зачислено на ваш баланс (комиссия площадки { $fee }). Баланс: /balance; вывод: /payout.
notify-released-client-manual = ✅ Сделка #{ $deal } завершена: { $amount } переданы исполнителю.
notify-released-client-auto = ✅ Срок проверки по сделке #{ $deal } истёк, поэтому { $amount } автоматически переданы исполнителю.
notify-refunded-client = ↩️ { $how ->
        [stars] Сделка #{ $deal } отменена
       *[other] По сделке #{ $deal } деньги возвращены
    }: { $why ->
        [freelancer_cancelled] исполнитель отменил сделку
        [cancel_confirmed] исполнитель согласился на отмену
        [overdue] вы забрали деньги за просроченную работу
        [not_delivered] работа не была сдана вовремя
       *[other] сделка отменена
    }. { $how ->
        [stars] Возврат { $amount } запрошен у Telegram; как только звёзды вернутся к вам, придёт сообщение.
       *[other] { $amount } отложены для вас как выплата #{ $payout }, её переведёт модератор (см. /balance); когда она будет произведена, придёт сообщение.
    }
notify-refunded-freelancer = ↩️ По сделке #{ $deal } деньги возвращены заказчику: { $why ->
        [freelancer_cancelled] вы отменили сделку
        [cancel_confirmed] вы согласились на отмену
        [overdue] заказчик забрал деньги за просроченную работу
        [not_delivered] работа не была сдана вовремя
       *[other] сделка отменена
    }.
notify-dispute-opened-other = ⚠️ { $by_name } открыл(а) спор по сделке #{ $deal } (заказ #{ $job } «{ $title }»):
notify-dispute-respond = Все сроки сделки остановлены, модераторы подключены; ваша позиция ожидается до { $respond_at }. Ответьте на это сообщение текстом или файлами или отправьте /evidence { $deal } &lt;что произошло&gt;.
notify-dispute-opened-self = ⚠️ Ваш спор по сделке #{ $deal } открыт. Все сроки сделки остановлены; модераторы примут решение и сообщат обеим сторонам. Чтобы добавить доказательства, ответьте на это сообщение текстом или файлами или отправьте /evidence { $deal } &lt;текст&gt;.
notify-resolved-client = ⚖️ Модераторы решили спор по сделке #{ $deal }: { $outcome ->
        [release] деньги переходят исполнителю.
        [refund] { $back } возвращается вам{ $how ->
            [stars] : возврат запрошен у Telegram, и как только звёзды вернутся к вам, придёт сообщение.
           *[other] : деньги отложены для вас как выплата #{ $payout }, её переведёт модератор (см. /balance); когда она будет произведена, придёт сообщение.
        }
       *[split] деньги разделены: { $percent }% исполнителю, { $back } возвращается вам{ $how ->
            [stars] : возврат запрошен у Telegram, и как только звёзды вернутся к вам, придёт сообщение.
           *[other] : деньги отложены для вас как выплата #{ $payout }, её переведёт модератор (см. /balance); когда она будет произведена, придёт сообщение.
        }
    }
notify-resolved-freelancer = ⚖️ Модераторы решили спор по сделке #{ $deal }: { $outcome ->
        [release] { $paid } зачислено на ваш баланс (комиссия площадки { $fee }).
        [refund] деньги возвращены заказчику.
       *[split] деньги разделены: { $percent }% вам, { $paid } зачислено на ваш баланс (комиссия площадки { $fee }).
    }
notify-feedback-request = ⭐ Как прошла сделка #{ $deal }? Оцените { $other_name } от 1 до 5 (с отзывом: /rate { $deal } &lt;1-5&gt; &lt;отзыв&gt;).
notify-feedback-received = ⭐ { $other_name } оценил(а) сделку #{ $deal }. Оцените тоже, чтобы увидеть оценку: обе оценки открываются вместе.
notify-feedback-revealed = ⭐ Обе стороны оценили сделку #{ $deal }.
notify-feedback-stars = Вам поставили { $stars }/5.
notify-refund-confirmed = ✅ Telegram вернул { $amount } по сделке #{ $deal } на ваш баланс звёзд: возврат завершён.
notify-refund-failed = ⚠️ Telegram не вернул вам { $amount } по сделке #{ $deal }. Деньги не пропали: они отложены для вас как выплата #{ $payout }, её переведёт модератор (см. /balance); когда она будет произведена, придёт сообщение.
notify-payout-paid = 💸 Выплата #{ $payout } на { $amount } произведена.
notify-banned = ⛔ Вы заблокированы на площадке: { $reason }. Текущие сделки продолжаются.
notify-unbanned = ✅ Блокировка снята.

## Группа модераторов

dispute-card-title = ⚖️ <b>Спор по сделке #{ $deal }</b> · заказ #{ $job } «{ $title }»
dispute-card-amount = Сумма: { $amount } · состояние сделки: { deal-state }
dispute-card-opened = Открыл(а) { $name }, { $opened_at }
dispute-card-client = Заказчик: { $name } (id { $user }) · завершённых сделок: { $completed } · на площадке с { $since } · споров: { $disputes } (проиграно { $lost })
dispute-card-freelancer = Исполнитель: { $name } (id { $user }) · завершённых сделок: { $completed } · на площадке с { $since } · споров: { $disputes } (проиграно { $lost })
dispute-card-reason = <b>Причина</b>
    <blockquote>{ $reason }</blockquote>
dispute-card-timeline = <b>Хронология</b>
dispute-card-resolve-hint = Другое разделение: /resolve { $deal } split &lt;процент исполнителю&gt; [комментарий]
dispute-card-decided = ✅ <b>Решение принял(а) { $name }</b>, { $resolved_at }: { $outcome ->
        [release] деньги переданы исполнителю.
        [refund] деньги возвращены заказчику.
       *[split] деньги разделены, { $percent }% исполнителю.
    }
dispute-btn-release = Отдать исполнителю
dispute-btn-refund = Вернуть заказчику
dispute-btn-split = Поровну 50/50
mod-evidence = 📎 Доказательства по сделке #{ $deal } от { $by_name }:
mod-sla-reminder = ⏰ Спор по сделке #{ $deal } открыт с { $opened_at } и всё ещё ждёт решения.
mod-refund-failed = ⚠️ Telegram отказал в возврате { $amount } пользователю { $user_name } (id { $user }) по сделке #{ $deal }: { $error }. Сумма зачислена на баланс пользователя как выплата #{ $payout }: выплатите её вне бота, затем отметьте: /paid { $payout }.
mod-payout-requested = 💸 Выплата #{ $payout }: { $user_name } (id { $user }) просит { $amount }. Выплатите вне бота, затем отметьте: /paid { $payout }.

## Карточка сделки

deal-state = { $state ->
        [awaiting_funding] ждёт оплаты
        [funded] оплачена, идёт работа
        [delivered] сдана, на проверке
        [disputed] спор
        [released] завершена, деньги переданы
        [refunded] деньги возвращены
        [split] разделена модераторами
        [cancelled] отменена
       *[other] { $state }
    }
deal-card-title = 🤝 <b>Сделка #{ $deal }</b> · заказ #{ $job } «{ $title }»
deal-card-state = Состояние: <b>{ deal-state }</b>
deal-card-parties = Заказчик: { $client } · Исполнитель: { $freelancer }
deal-card-you = { $role ->
        [client] Вы заказчик.
       *[freelancer] Вы исполнитель.
    }
deal-card-amount = Сумма: { $amount } · срок { $days ->
        [one] { $days } день
        [few] { $days } дня
       *[other] { $days } дней
    }
deal-card-funding-ends = Оплата ожидается до { $at }
deal-card-funded = Оплачена { $at }
deal-card-due = Срок сдачи { $at }
deal-card-delivered = Сдана { $at }
deal-card-review-ends = Проверка до { $at }
deal-card-cancel-requested = Заказчик попросил отмену { $at }
deal-card-ended = Завершена { $at }
deal-card-revisions = Доработок: { $used } из { $max }
deal-card-dispute = ⚠️ Спор открыл(а) { $by }, { $at }: { $reason }
deal-card-dispute-decided = Решение { $at }: { $outcome ->
        [release] деньги переданы исполнителю
        [refund] деньги возвращены заказчику
       *[split] деньги разделены, { $percent }% исполнителю
    }
deal-card-time-title = ⏱ <b>Учтено времени:</b> { $hours } ч
deal-card-time-people = { $people }
deal-card-time-week = неделя с { $week }: { $people }
deal-card-time-person = { $name } { $hours } ч
deal-card-rating = ⭐ { $name } поставил(а) { $stars }/5
deal-card-rating-mine = ⭐ Ваша оценка: { $stars }/5
deal-card-rating-comment = «{ $comment }»
deal-card-hint-freelancer-funded = Сдать работу: /deliver { $deal } [комментарий], затем пришлите файлы.
deal-card-hint-client-funded = Учёт времени: /log { $deal } &lt;часы&gt; &lt;комментарий&gt;; продлить срок: /extend { $deal } &lt;срок&gt;.
deal-card-hint-client-delivered = Подтвердите приёмку или попросите доработку: /revise { $deal } &lt;что изменить&gt;.
deal-card-hint-client-unfunded = Оплатите счёт выше, чтобы начать сделку.
deal-event-line = { $at } · { $kind ->
        [hired] отклик принят
        [pay] оплачено на гарантийный счёт
        [delivery] работа сдана
        [delivery_file] файл добавлен к сдаче
        [revision] запрошена доработка
        [extend] срок продлён
        [cancel_requested] запрошена отмена
        [cancel_refused] в отмене отказано
        [dispute] открыт спор
        [evidence] добавлены доказательства
        [mod_note] заметка модератора
        [resolved] решение модератора
        [release] деньги переданы
        [auto_release] деньги переданы автоматически
        [cancel] отменена с возвратом
        [auto_refund] возврат автоматически
        [funding_expired] не оплачена вовремя
        [cancel_unfunded] отменена до оплаты
        [reviewer_added] добавлен проверяющий
        [verdict_pass] проверяющий: принято
        [verdict_changes] проверяющий: нужны правки
       *[other] { $kind }
    }
deal-event-by = { $who }
deal-event-text = «{ $text }»
deal-event-files = { $files ->
        [one] { $files } файл
        [few] { $files } файла
       *[other] { $files } файлов
    }
deal-history-events = <b>История</b>
deal-history-file = 📎 { $kind }: { $name } <code>{ $file }</code>
deal-history-messages = <b>Переписка до найма</b>
deal-history-message = { $at } · { $who }: { $text }
deal-btn-release = ✅ Принять работу
deal-btn-revise = ✏️ Доработка
deal-btn-dispute = ⚠️ Спор
deal-btn-deliver = 📦 Сдать работу
deal-btn-extend-1d = ⏳ Продлить на день
deal-btn-refund-now = ↩️ Вернуть деньги
deal-btn-wait = Подождать
deal-btn-cancel-yes = Подтвердить отмену
deal-btn-cancel-no = Отказаться
deal-btn-cancel-deal = Отменить сделку
deal-btn-cancel-refund = Отменить и вернуть деньги
deal-btn-cancel-confirm = Да, отменить
deal-btn-release-confirm = Да, передать деньги
deal-btn-keep = Нет, оставить
deal-btn-refresh = 🔄 Обновить
deal-btn-deal = Сделка #{ $deal }

## Команды сделок

deals-empty = У вас пока нет сделок. Сделка появляется, когда заказчик принимает отклик.
deals-title = <b>Ваши сделки ({ $count })</b>
deals-line = Сделка #{ $deal } · «{ $title }» · { $amount } · { deal-state } · { $role ->
        [client] вы заказчик
       *[freelancer] вы исполнитель
    }
deal-deliver-done = 📦 Работа по сделке #{ $deal } сдана{ $files ->
        [0] {""}
        [one] {" "}с { $files } файлом
       *[other] {" "}с файлами: { $files }
    }. Заказчик проверяет её до { $review_ends }. Файлы, присланные в ближайшие минуты, добавятся к этой сдаче.
deal-deliver-files-attached = 📎 { $files ->
        [one] Файл добавлен
       *[other] Файлы ({ $files }) добавлены
    } к сдаче сделки #{ $deal }; заказчик их получит.
deal-deliver-files-hint = Чтобы сдать файлы, сначала отправьте /deliver &lt;сделка&gt; [комментарий], а сразу после — файлы, или ответьте на файл командой /deliver &lt;сделка&gt;.
deal-revise-done = ✏️ Доработка по сделке #{ $deal } запрошена ({ $used } из { $max }). Новый срок сдачи { $due }.
deal-extend-done = ⏳ Сделка #{ $deal }: новый срок сдачи { $due }.
deal-log-done = ⏱ Учтено { $hours } ч по сделке #{ $deal }.
deal-release-confirm = Передать { $amount } по сделке #{ $deal } исполнителю { $freelancer }? Отменить это нельзя.
deal-release-done = ✅ Сделка #{ $deal } завершена: { $amount } переданы исполнителю. Как всё прошло? Оцените от 1 до 5.
deal-nothing-changed = Ничего не изменено.
deal-canceldeal-cancelled = Сделка #{ $deal } отменена; оплаты не было.
deal-canceldeal-refunded = Сделка #{ $deal } отменена, деньги возвращаются заказчику.
deal-canceldeal-requested = Исполнителя попросили подтвердить отмену сделки #{ $deal }; мы сообщим его ответ.
deal-canceldeal-confirm-unfunded = Отменить сделку #{ $deal }? Она ещё не оплачена.
deal-canceldeal-confirm-client = Попросить исполнителя отменить сделку #{ $deal }? Если он согласится, { $amount } вернутся вам.
deal-canceldeal-confirm-freelancer = Отменить сделку #{ $deal }? Заказчику сразу вернутся { $amount }.
deal-cancel-answer-refunded = Вы подтвердили: сделка #{ $deal } отменена, деньги возвращаются заказчику.
deal-cancel-answer-refused = Вы отказались отменять сделку #{ $deal }; сделка продолжается, заказчику сообщено. Если не договоритесь, откройте спор: /dispute { $deal } &lt;причина&gt;.
deal-refundnow-done = ↩️ Сделка #{ $deal } отменена. { $how ->
        [stars] Возврат { $amount } запрошен у Telegram; как только звёзды вернутся к вам, придёт сообщение.
       *[other] { $amount } отложены для вас как выплата #{ $payout }, её переведёт модератор (см. /balance); когда она будет произведена, придёт сообщение.
    }
deal-wait-ok = Хорошо. Сделка #{ $deal } остаётся открытой; если ничего не сдадут, деньги вернутся автоматически.
deal-dispute-opened = ⚠️ Спор по сделке #{ $deal } открыт. Все сроки сделки остановлены; модераторы примут решение и сообщат обеим сторонам. Чтобы добавить доказательства, отправьте /evidence { $deal } &lt;текст&gt; или файл с подписью /evidence { $deal }.
deal-rate-done-both = ⭐ Спасибо: вы поставили сделке #{ $deal } { $stars }/5. Обе оценки теперь видны.
deal-rate-done-wait = ⭐ Спасибо: вы поставили сделке #{ $deal } { $stars }/5. Оценку увидят, когда другая сторона тоже оценит или закончится срок отзывов.

## Платежи

payment-funded = 💰 Оплата получена: сделка #{ $deal } оплачена, { $amount } на гарантийном счёте. Срок сдачи: { $due }. Мы сообщим, когда работа будет сдана.
payment-duplicate = Этот платёж уже учтён; ничего не изменилось.
payment-refunded = Сделка #{ $deal } уже не ждёт оплаты, поэтому ваши { $amount } возвращаются вам: { $how ->
        [stars] возврат запрошен у Telegram, и как только звёзды вернутся к вам, придёт сообщение.
       *[other] деньги отложены для вас как выплата #{ $payout }, её переведёт модератор (см. /balance).
    }
