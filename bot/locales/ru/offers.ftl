## Прямые предложения и проверяющий (issue 14).

## Прямые предложения

btn-offer = ✉️ Предложить контракт
offer-btn-accept = ✅ Принять
offer-btn-decline = ✖ Отклонить
offer-how = Чтобы отправить { $who } прямое предложение, нажмите кнопку ниже или напишите одним сообщением: <code>/offer { $who } сумма дни Название | Описание</code>
offer-how-propose = Чтобы предложить { $who } следующий контракт, напишите одним сообщением: <code>/propose { $who } сумма дни Название | Описание</code>
offer-sent = ✉️ Предложение #{ $offer } ({ $amount }) отправлено. Оно ждёт ответа до { $expires_at }.
offer-received-client = ✉️ { $from_name } предлагает вам контракт без публичного заказа: предложение #{ $offer } «{ $title }», { $amount }, срок { $days } дн.
offer-received-proposal = ✉️ { $from_name }, уже работавший(ая) на вас, предлагает следующий контракт: предложение #{ $offer } «{ $title }», { $amount }, срок { $days } дн. Если вы примете его, придёт счёт.
offer-answer-by = Ответьте до { $expires_at }; после этого предложение истечёт.
offer-accept-done = Вы приняли предложение #{ $offer }: создана сделка #{ $deal }, она ждёт оплаты заказчика.
offer-decline-done = Вы отклонили предложение #{ $offer }.
offer-accepted-client = ✅ { $to_name } принимает предложение #{ $offer } «{ $title }»: создана сделка #{ $deal }; оплатите счёт, чтобы начать.
offer-accepted-freelancer = ✅ { $to_name } принимает ваше предложение #{ $offer } «{ $title }»: сделка #{ $deal } ждёт оплаты. Не начинайте работу, пока она не оплачена.
offer-declined = { $to_name } отклоняет предложение #{ $offer } «{ $title }».
offer-lapsed-sender = ⌛ Предложение #{ $offer } «{ $title }» для { $to_name } истекло без ответа.
offer-lapsed-recipient = ⌛ Предложение #{ $offer } «{ $title }» от { $from_name } истекло: на него не ответили вовремя.
offers-empty = У вас пока нет прямых предложений. /offer @username отправляет предложение.
offers-title = Ваши прямые предложения ({ $count }):
offers-line = Предложение #{ $offer } «{ $title }» · { $amount } · { $state ->
        [pending] ждёт ответа
        [accepted] принято, сделка #{ $deal }
        [declined] отклонено
       *[lapsed] истекло
    }
notify-funding-expired-private-client = Сделка #{ $deal } отменена: её не оплатили вовремя. Когда будете готовы, отправьте новое предложение через /offer.
notify-funding-expired-private-freelancer = Сделка #{ $deal } отменена: заказчик не оплатил её вовремя.
notify-deal-cancelled-private-client = Исполнитель отменил сделку #{ $deal } «{ $title }» до оплаты.
notify-deal-cancelled-private-freelancer = Заказчик отменил сделку #{ $deal } «{ $title }» до оплаты.

err-offer-usage = Напишите предложение так: /offer @username сумма дни Название | Описание; для почасовой оплаты вместо суммы и срока — ставка и недельный лимит (20/h 10); для оплаты по этапам — план в конце (| Эскиз = 100; Финал = 200).
err-offer-usage-propose = Напишите предложение так: /propose @username сумма дни Название | Описание; для почасовой оплаты вместо суммы и срока — ставка и недельный лимит (20/h 10); для оплаты по этапам — план в конце (| Эскиз = 100; Финал = 200).
err-offer-not-found = Предложения #{ $offer } нет.
err-offer-self = Нельзя отправить предложение самому себе.
err-offer-banned = { $name } заблокирован(а) и не может получать предложения.
err-offer-not-past-client = Предложить контракт можно только заказчику, на которого вы уже работали, а { $name } не из их числа.
err-offer-own = Предложение #{ $offer } отправили вы, поэтому ответить на него может только другая сторона.
err-offer-not-yours = Предложение #{ $offer } адресовано не вам.
err-offer-accepted = Предложение #{ $offer } уже принято: это сделка #{ $deal }.
err-offer-declined = Предложение #{ $offer } отклонено, поэтому принять его уже нельзя.
err-offer-lapsed = Предложение #{ $offer } истекло: на него не ответили вовремя.
err-offer-sender-gone = Автор предложения #{ $offer } больше не может заключать контракты, поэтому принять его нельзя.
err-offer-currency-unpayable = Предложение #{ $offer } в валюте { $currency }, а платежи в ней сейчас не принимаются.

## Проверяющий

reviewer-added = { $name } теперь проверяющий сделки #{ $deal }: видит её описание и каждую сдачу работы, а его вердикт вы увидите рядом с кнопкой передачи денег.
verdict-sent = Ваш вердикт по сделке #{ $deal } отправлен заказчику.
review-added = 🔎 { $client_name } добавляет вас проверяющим сделки #{ $deal } «{ $title }». Вы видите описание и каждую сдачу работы и выносите вердикт; деньги и действия по сделке остаются за её сторонами.
review-brief = Закрытое описание: { $brief }
review-how = Откройте её командой /deal { $deal }; вердикт — кнопками под сдачей работы или командой /verdict { $deal } pass|changes заметки (подписью к файлу, чтобы приложить его).
review-added-freelancer = 🔎 Заказчик добавил { $user_name } проверяющим сделки #{ $deal }: он видит описание и ваши сдачи работы и сообщает заказчику свой вердикт.
review-delivered = 📦 По сделке #{ $deal } «{ $title }» сдана работа на проверку{ $files ->
        [0] .
        [one] (файл ниже).
       *[other] (файлов ниже: { $files }).
    }
review-btn-pass = ✅ Принято
review-btn-changes = ✏️ Нужны правки
review-verdict-pass = 🔎 { $user_name }, проверяющий сделки #{ $deal }: ✅ работа принята.
review-verdict-changes = 🔎 { $user_name }, проверяющий сделки #{ $deal }: ✏️ нужны правки.
review-ended = Сделка #{ $deal } завершена, а с ней и ваша проверка: доступа к ней у вас больше нет.
deal-card-reviewer = 🔎 Проверяющий: { $name }
deal-card-verdict-pass = Вердикт ({ $at }): ✅ принято
deal-card-verdict-changes = Вердикт ({ $at }): ✏️ нужны правки
deal-card-verdict-notes = Заметки: «{ $notes }»

err-reviewer-usage = Напишите так: /reviewer сделка @username, например /reviewer 5 @anna.
err-reviewer-deal-ended = Сделка #{ $deal } завершена, добавить к ней проверяющего нельзя.
err-reviewer-self = Нельзя быть проверяющим собственной сделки.
err-reviewer-freelancer = Исполнитель сделки #{ $deal } не может проверять свою же работу.
err-reviewer-banned = { $name } заблокирован(а) и не может проверять сделки.
err-reviewer-already = У сделки #{ $deal } уже есть проверяющий.
err-reviewer-read-only = Как проверяющий сделки #{ $deal } вы можете читать её и выносить вердикт, но деньги и действия по ней принадлежат заказчику и исполнителю.
err-reviewer-ended = Сделка #{ $deal } завершена, а с ней и ваша проверка.
err-verdict-usage = Напишите вердикт так: /verdict сделка pass или /verdict сделка changes, затем заметки.
err-verdict-notes-too-long = Заметки — не длиннее { $max } символов; у вас { $length }.
err-verdict-too-many-files = К вердикту можно приложить не больше { $max } файлов.
err-verdict-nothing-delivered = По сделке #{ $deal } нет сданной работы, ждущей заказчика, поэтому выносить вердикт не по чему.
input-ask-offer = ✉️ Напишите предложение одним сообщением: сумма, дни, затем название и описание, например <code>150 5 Логотип для кафе | Векторный логотип в двух цветах, с исходниками.</code>
btn-offer-to = ✉️ Предложить контракт: { $name }
offer-received-client-hourly = ✉️ { $from_name } предлагает вам почасовой контракт без публичного заказа: предложение #{ $offer } «{ $title }», { $amount } в час.
offer-received-proposal-hourly = ✉️ { $from_name }, уже работавший(ая) на вас, предлагает следующий контракт с почасовой оплатой: предложение #{ $offer } «{ $title }», { $amount } в час. Если вы примете его, придёт счёт за первую неделю.
offer-terms-hourly = Не больше { $hours } ч в неделю; заказчик оплачивает лимит недели в её начале (понедельник 00:00 UTC).
offer-terms-milestones = Оплата по { $count } этапам, по одному за раз:
offer-terms-milestone = { $number }. { $title }: { $amount }
err-offer-hourly-plan = У почасового предложения нет этапов: укажите либо ставку вроде 20/h с недельным лимитом, либо сумму с планом этапов.
