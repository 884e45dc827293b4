## Почасовые контракты (issue 14): оплата за час, недельный лимит, недели с понедельника 00:00 UTC.

bid-placed-hourly = ✅ Почасовой отклик #{ $bid } на заказ #{ $job } сделана: { $rate } в час, не больше { $hours } ч в неделю.
bid-updated-hourly = ✏️ Почасовой отклик #{ $bid } на заказ #{ $job } изменена: { $rate } в час, не больше { $hours } ч в неделю.

hourly-log-done = ⏱ Учтено { $hours } ч по сделке #{ $deal } (запись #{ $entry }): { $total } из { $limit } ч за неделю с { $week }.
hourly-edit-done = ✏️ Запись #{ $entry } по сделке #{ $deal } теперь { $hours } ч: { $total } из { $limit } ч за неделю с { $week }.
hourly-approve-done = ✅ Вы приняли { $hours } ч за неделю с { $week } по сделке #{ $deal }: исполнителю выплачено { $paid }.
deal-canceldeal-ended = 🏁 Сделка #{ $deal } завершена: все недели рассчитаны, остаток эскроу возвращается заказчику.
deal-canceldeal-ending = Сделка #{ $deal } завершается: время больше не учитывается. Последняя неделя рассчитывается как обычно (правки до понедельника 12:00 UTC, затем проверка заказчика), после чего остаток эскроу возвращается заказчику.
deal-canceldeal-confirm-hourly = Завершить почасовой контракт — сделку #{ $deal }? Время больше нельзя будет учитывать; последняя неделя рассчитывается как обычно.
hourly-btn-end = 🏁 Завершить контракт

invoice-week-title = Сделка #{ $deal }, неделя с { $week }
invoice-week-description = Оплата недели с { $week } по сделке #{ $deal } «{ $title }»: до { $limit_hours } ч по { $rate } в час, за вычетом кредита { $credit_text }. Неизрасходованное остаётся кредитом на следующую неделю.
invoice-week-label = Неделя с { $week }

notify-hourly-week-credit = 🗓 Неделя с { $week } по сделке #{ $deal } оплачена из кредита контракта: до { $limit_hours } ч до { $closes_at }.
notify-hourly-week-unpaid = ⏸ Сделка #{ $deal } на паузе: заказчик ещё не оплатил неделю с { $week }. Время можно будет учитывать после оплаты — мы сообщим.
notify-hourly-paid-client = 💰 Оплата получена: неделя с { $week } по сделке #{ $deal } оплачена, { $amount }.
notify-hourly-funded-freelancer = 💰 Неделя с { $week } по сделке #{ $deal } оплачена: учитывайте до { $limit_hours } ч командой /log { $deal } &lt;часы&gt; &lt;что сделано&gt; до { $closes_at }.
notify-hourly-review = 🧾 Неделя с { $week } по сделке #{ $deal }: { $hours } ч, к оплате { $paid }. Примите часы командой /approve { $deal } или оспорьте: /dispute { $deal } &lt;причина&gt; — до { $review_ends_at }; если ничего не сделать, часы будут приняты в этот момент.
notify-hourly-approved-freelancer = ✅ Неделя с { $week } по сделке #{ $deal } принята{ $auto ->
        [yes] {" "}(срок проверки заказчика истёк)
       *[other] {""}
    }: { $hours } ч, { $paid } на ваш баланс (комиссия { $fee }).
notify-hourly-approved-client = ✅ Неделя с { $week } по сделке #{ $deal } принята: срок вашей проверки истёк. Исполнителю оплачено { $hours } ч.
notify-hourly-unfunded = ⏸ Неделя с { $week } по сделке #{ $deal } закончилась без оплаты: время в ней не учитывалось, за неё ничего не платится.
notify-hourly-ending = Сделка #{ $deal } завершается ({ $by_name } завершает её): время больше не учитывается. Последняя неделя рассчитывается как обычно, затем остаток эскроу возвращается заказчику.
notify-hourly-closed = 🏁 Сделка #{ $deal } завершена. Всего выплачено исполнителю: { $paid }. Возвращено заказчику: { $back }{ $stars ->
        [0] {""}
       *[other] {" "}(звёзды возвращает Telegram: { $stars_text })
    }{ $balance ->
        [0] {""}
       *[other] {" "}(на баланс заказчика, запрос на вывод #{ $payout })
    }.
notify-hourly-resolved = ⚖️ Модератор решил спор о неделе с { $week } по сделке #{ $deal } ({ $hours } ч): { $outcome ->
        [release] оплачиваются все часы
        [refund] часы не оплачиваются
       *[split] исполнителю { $percent }% оплаты часов
    }. Исполнителю { $paid } (комиссия { $fee }); остаток лимита недели остаётся кредитом контракта.

hourly-card-terms = Почасово: { $rate } в час, не больше { $hours } ч в неделю ({ $limit } в неделю)
hourly-card-escrow = В эскроу: { $escrow } · свободный кредит: { $credit }
hourly-card-paid = Выплачено исполнителю: { $paid }
hourly-card-ended = Завершён { $at }: время больше не учитывается
hourly-card-week = • Неделя с { $week }: { $state ->
        [awaiting_funding] ждёт оплаты
        [funded] оплачена
        [unfunded] не оплачена (пауза)
        [review] на проверке у заказчика
        [disputed] в споре
        [approved] принята
        [resolved] решена модератором
       *[other] { $state }
    } · { $hours } из { $limit } ч · выплачено { $paid }
hourly-card-edit-until = {"  "}учитывать и править часы можно до { $at }
hourly-card-review-until = {"  "}будет принята без ответа { $at }
hourly-card-hint-review = Примите часы недели командой /approve { $deal } или оспорьте их: /dispute { $deal } &lt;причина&gt;.
hourly-card-hint-freelancer = Учёт времени: /log { $deal } &lt;часы&gt; &lt;что сделано&gt;; исправить запись: /edithours &lt;запись&gt; &lt;часы&gt; [заметка].

hourly-dispute-card-week = ⏱ Почасово: неделя с { $week }, { $hours } ч по { $rate } в час: на кону { $pay }. «Выплатить» оплачивает все часы, «вернуть» — ни одного (лимит недели остаётся кредитом контракта), раздел — указанную долю; контракт продолжается.

err-hourly-unfunded = Сделка #{ $deal } на паузе: неделя с { $week } не оплачена, поэтому время нельзя учитывать, пока заказчик её не оплатит.
err-hourly-over-limit = Это больше недельного лимита { $limit } ч по сделке #{ $deal }: на этой неделе осталось { $left } ч.
err-hourly-edit-closed = Часы недели с { $week } по сделке #{ $deal } больше нельзя менять: правка закончилась { $until }.
err-hourly-only-freelancer = Учитывать и править часы сделки #{ $deal } может только её исполнитель.
err-hourly-only-client-approve = Принять часы сделки #{ $deal } может только её заказчик.
err-hourly-only-client-dispute = Оспорить часы сделки #{ $deal } может только её заказчик.
err-hourly-nothing-in-review = Ни одна неделя сделки #{ $deal } не ждёт проверки заказчика.
err-hourly-dispute-open = По сделке #{ $deal } уже открыт спор; сначала его решат модераторы.
err-hourly-ended = Сделка #{ $deal } завершена: время больше не учитывается, и завершить её ещё раз нельзя.
err-hourly-not-hourly = Сделка #{ $deal } — не почасовой контракт.
err-hourly-not-for-hourly = Сделка #{ $deal } — почасовой контракт: она оплачивается по неделям (/log, /approve), а не сдаётся, продлевается или выплачивается целиком.
err-hourly-entry-not-found = Записи времени #{ $entry } нет.
err-hourly-limit-invalid = Недельный лимит — целое число часов от 1 до { $max }.
err-hourly-bid-usage = Почасовой отклик: /bid 12 20/ч 10 сопроводительное письмо (20 в час, не больше 10 часов в неделю).
err-dealcmd-usage-edithours = Укажите запись и часы: /edithours 12 2.5 [заметка] (0 удаляет запись).
err-dealcmd-usage-approve = Укажите сделку: /approve 5.
