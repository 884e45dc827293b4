## Подписки на заказы: /alerts, шаги новой подписки, уведомления и ежедневная сводка.

alerts-any-category = Любая категория
alerts-words = «{ $words }»
alerts-min-budget = от { $budget }
alerts-language-en = на английском
alerts-language-ru = на русском
alerts-mode-instant = сразу
alerts-mode-digest = сводкой раз в день

alerts-empty =
    🔔 <b>Подписки на заказы</b>
    Подписок пока нет. Подписка сообщает о каждом новом заказе, подходящем под ваш поиск (категория, слова как в /jobs, минимальный бюджет, язык), сразу или одной сводкой в день; не больше { $per_day } в день.
alerts-title = 🔔 <b>Ваши подписки</b> ({ $count } из { $most })
alerts-line = Подписка #{ $alert }: { $summary }
alerts-footer = Не больше { $per_day } уведомлений в день; о ваших собственных заказах — никогда.
alerts-btn-new = ➕ Новая подписка
alerts-btn-stop = 🔕 Отписаться
alerts-btn-stop-n = 🔕 Отписаться от #{ $alert }
alerts-btn-to-digest = Сводкой #{ $alert }
alerts-btn-to-instant = Сразу #{ $alert }
alerts-stopped = 🔕 Подписка #{ $alert } отключена: заказов по ней больше не будет. Остальные — в /alerts.
alerts-mode-set = Подписка #{ $alert } теперь приходит { $mode }.

alerts-ask-category = 🔔 Новая подписка, шаг 1 из 5: какая категория?
alerts-btn-any-category = Любая категория
alerts-ask-words = Шаг 2 из 5: слова, которые искать в новых заказах, как в /jobs (слово находит начало слова: «лого» найдёт «логотип»). Или «Пропустить» — тогда все заказы.
alerts-ask-budget = Шаг 3 из 5: минимальный бюджет, на который вы согласны, в { $currency } (число, например 150). Или «Пропустить».
alerts-ask-language = Шаг 4 из 5: заказы на каком языке?
alerts-btn-any-language = Любой язык
alerts-btn-english = Английский
alerts-btn-russian = Русский
alerts-ask-mode = Шаг 5 из 5: сообщать сразу или одной сводкой в день (в { $hour }:00 UTC)?
alerts-btn-instant = 🔔 Сразу
alerts-btn-digest = 📬 Сводкой раз в день
alerts-saved = ✅ Подписка #{ $alert } сохранена: { $summary }.
alerts-cancelled = Подписка не сохранена.

alert-job-head = 🔔 Новый заказ по подписке #{ $alert } ({ $summary })
alert-job-title = <b>Заказ #{ $job }</b> · <b>{ $title }</b>
alert-job-facts = { $category } · бюджет { $budget } · срок { $deadline }
alert-job-description = { $text }
alert-btn-bid = Откликнуться
alert-btn-open = Открыть заказ
alert-btn-bid-on = Откликнуться на заказ #{ $job }

alert-digest-head = 📬 <b>Ежедневная сводка заказов</b>: { $count ->
        [one] { $count } новый заказ
        [few] { $count } новых заказа
       *[other] { $count } новых заказов
    }
alert-digest-line = • <b>Заказ #{ $job }</b> { $title } · { $category } · { $budget }
alert-digest-more = … и ещё { $count }: их покажет /jobs.
alert-digest-searches = По вашим подпискам:

## Отказы (простой текст: их могут показать во всплывающем окне кнопки).

err-alerts-words-too-long = Слова подписки — не длиннее { $max } символов.
err-alerts-mode-invalid = Подписка приходит сразу или сводкой раз в день.
err-alerts-too-many = Можно держать не больше { $max } подписок; сначала отключите одну в /alerts.
err-alerts-not-found = Подписки #{ $alert } нет.
err-alerts-not-yours = Подписка #{ $alert } не ваша.
err-alerts-already-stopped = Подписка #{ $alert } уже отключена.
