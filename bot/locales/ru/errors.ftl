## Одно предложение на каждый отказ (ключ DomainError `a.b_c` -> сообщение `err-a-b-c`).
## Их показывают и во всплывающем окне кнопки, где нет разметки: без тегов.

error-internal = Что-то пошло не так; ничего не изменено.
error-after-commit = Ваш запрос выполнен, но показать результат не получилось. Посмотреть, как обстоят дела, можно в /deals, /mybids или /myjobs.
button-expired = Эта кнопка устарела.

## Аргументы

err-args-number = Укажите номер цифрами, например 12.
err-args-link = Эта ссылка неверна; открытые заказы — в /jobs.
err-amount-invalid = Сумма должна быть целым числом от { NUMBER($min, useGrouping: 0) } до { NUMBER($max, useGrouping: 0) }.
err-percent-invalid = Процент должен быть целым числом от 0 до 100.
err-rating-invalid = Оценка должна быть целым числом от 1 до 5.
err-duration-invalid = Укажите срок как длительность, например 12ч, 3 дня или 2 недели (не больше года).
err-deadline-invalid = Укажите срок как длительность, например 3 дня, или как дату, например { $example }.
err-deadline-too-soon = Срок должен быть не раньше чем через { $min }.
err-language-invalid = Такого языка нет; выберите английский или русский.
err-user-ref-invalid = Укажите человека как @username или числовым id.
err-message-length = Сообщение должно быть длиной от { $min } до { $max } символов{ $length ->
        [0] .
       *[other] ; у вас { $length ->
        [one] { $length } символ
        [few] { $length } символа
       *[other] { $length } символов
    }.
    }
err-reason-required = Укажите причину длиной от { $min } до { $max } символов{ $length ->
        [0] .
       *[other] ; у вас { $length ->
        [one] { $length } символ
        [few] { $length } символа
       *[other] { $length } символов
    }.
    }

## Люди

err-user-not-found = Пользователя { $user } здесь нет.
err-user-banned = Вы заблокированы на площадке, поэтому не можете этого сделать.
err-fav-already = Пользователь { $user } уже в избранном.
err-fav-self = Нельзя добавить в избранное себя.
err-invite-self = Нельзя пригласить себя на свой же заказ.
err-profile-bio-too-long = О себе можно написать не больше { $max } символов; у вас { $length ->
        [one] { $length } символ
        [few] { $length } символа
       *[other] { $length } символов
    }.
err-profile-skills-too-long = Навыки — не больше { $max } символов; у вас { $length ->
        [one] { $length } символ
        [few] { $length } символа
       *[other] { $length } символов
    }.
err-profile-years-invalid = Опыт в годах должен быть целым числом от 0 до 99.
err-profile-portfolio-invalid = Портфолио — до 10 ссылок, начинающихся с http:// или https://.
err-moderator-only = Это могут делать только модераторы.
err-ban-already = Пользователь { $user } уже заблокирован.
err-ban-not-banned = Пользователь { $user } не заблокирован.

## Заказы

err-job-not-found = Заказа #{ $job } нет.
err-job-not-client = Это может сделать только заказчик заказа #{ $job }.
err-job-not-open = Заказ #{ $job } закрыт для ставок.
err-job-not-open-for-hire = Заказ #{ $job } больше не открыт, поэтому принять отклик на него нельзя.
err-job-already-removed = Заказ #{ $job } уже снят.
err-job-title-length = Название должно быть длиной от { $min } до { $max } символов; у вас { $length ->
        [one] { $length } символ
        [few] { $length } символа
       *[other] { $length } символов
    }.
err-job-description-length = Описание должно быть длиной от { $min } до { $max } символов; у вас { $length ->
        [one] { $length } символ
        [few] { $length } символа
       *[other] { $length } символов
    }.
err-job-brief-too-long = Закрытое ТЗ — не больше { $max } символов; у вас { $length ->
        [one] { $length } символ
        [few] { $length } символа
       *[other] { $length } символов
    }.
err-job-nda-needs-brief = Соглашение о неразглашении имеет смысл только с закрытым ТЗ; сначала добавьте ТЗ.
err-job-budget-invalid = Верхняя граница бюджета не может быть ниже нижней.
err-job-category-invalid = Выберите одну из предложенных категорий.
err-question-required = На этот вопрос нужно ответить.
err-question-int = Ответ должен быть целым числом от { NUMBER($min, useGrouping: 0) } до { NUMBER($max, useGrouping: 0) }.
err-question-bool = Ответьте «да» или «нет».
err-question-url = Ответ должен быть ссылкой, начинающейся с http:// или https://.
err-question-text = Ответ — не больше { $max } символов; у вас { $length ->
        [one] { $length } символ
        [few] { $length } символа
       *[other] { $length } символов
    }.
err-ask-own-job = Нельзя задавать вопросы по своему заказу #{ $job }.

## Отклики

err-bid-not-found = Отклика #{ $bid } нет.
err-bid-not-client = Принимать отклики может только заказчик заказа #{ $job }.
err-bid-own-job = Нельзя откликаться на свой заказ #{ $job }.
err-bid-not-active = Отклик #{ $bid } больше не активен.
err-bid-not-owner = Отклик #{ $bid } не ваш.
err-bid-not-withdrawable = Отклик #{ $bid } уже нельзя отозвать.
err-bid-already-shortlisted = Отклик #{ $bid } уже в шорт-листе.
err-bid-freelancer-banned = Автор отклика #{ $bid } заблокирован, поэтому принять этот отклик нельзя.
err-bid-cover-too-long = Сопроводительное письмо — не больше { $max } символов; у вас { $length ->
        [one] { $length } символ
        [few] { $length } символа
       *[other] { $length } символов
    }.
err-bid-days-invalid = Срок выполнения должен быть целым числом дней от { $min } до { $max }.
err-brief-not-shortlisted = Закрытое ТЗ заказа #{ $job } видят только исполнители из шорт-листа.
err-brief-nda-first = Чтобы увидеть закрытое ТЗ заказа #{ $job }, сначала примите соглашение о неразглашении.
err-nda-not-asked = По отклику #{ $bid } нет соглашения, ожидающего ответа.
err-nda-already-accepted = Вы уже приняли соглашение по отклику #{ $bid }.
err-nda-already-declined = Вы отклонили соглашение по отклику #{ $bid }; этот ответ окончательный.
err-msg-not-party = Писать в переписку по отклику #{ $bid } могут только заказчик и автор отклика.
err-message-not-found = На это сообщение уже нельзя ответить.
err-message-not-yours = Отвечать можно только на сообщения, присланные вам.

## Тестовые задания

err-trial-not-found = Теста #{ $trial } нет.
err-trial-not-yours = Тест #{ $trial } предназначен не вам.
err-trial-not-open = Тест #{ $trial } больше не ждёт ответа.
err-trial-not-accepted = Тест #{ $trial } не принят, поэтому сдать его нельзя.
err-trial-already-open = По отклику #{ $bid } уже есть открытый тест.
err-trial-not-shortlisted = Сначала добавьте отклик #{ $bid } в шорт-лист, потом просите тест.
err-trial-task-length = Задание теста должно быть длиной от { $min } до { $max } символов; у вас { $length ->
        [one] { $length } символ
        [few] { $length } символа
       *[other] { $length } символов
    }.
err-trial-result-empty = Пришлите результат теста текстом или файлами.
err-trial-result-too-long = Результат теста — не больше { $max } символов; у вас { $length ->
        [one] { $length } символ
        [few] { $length } символа
       *[other] { $length } символов
    }.
err-trial-too-many-files = К результату теста можно приложить не больше { $max } файлов.

## Сделки

err-deal-not-found = Сделки #{ $deal } нет.
err-deal-not-party = Сделка #{ $deal } не ваша.
err-deal-changed = Сделка #{ $deal } тем временем изменилась; посмотрите её снова: /deal { $deal }.
err-storage-busy = Кто-то изменил то же самое в тот же момент, поэтому ничего не сделано; попробуйте ещё раз.
err-deal-bad-state = Сделка #{ $deal } сейчас в состоянии «{ deal-state }», поэтому это сделать нельзя.
err-deal-only-client = Это может сделать только заказчик сделки #{ $deal }.
err-deal-only-client-release = Передать деньги по сделке #{ $deal } может только заказчик.
err-deal-only-freelancer = Это может сделать только исполнитель сделки #{ $deal }.
err-deliver-note-too-long = Комментарий к сдаче — не больше { $max } символов; у вас { $length ->
        [one] { $length } символ
        [few] { $length } символа
       *[other] { $length } символов
    }.
err-deliver-no-open-delivery = У сделки #{ $deal } нет сдачи на проверке, к которой можно добавить файлы.
err-revise-text-required = Напишите, что изменить, длиной от { $min } до { $max } символов{ $length ->
        [0] .
       *[other] ; у вас { $length ->
        [one] { $length } символ
        [few] { $length } символа
       *[other] { $length } символов
    }.
    }
err-revise-limit = По сделке #{ $deal } использованы все доработки ({ $max }); примите работу или откройте спор.
err-cancel-already-requested = Вы уже просили отменить сделку #{ $deal }; исполнитель ещё не ответил.
err-cancel-not-requested = Отмену сделки #{ $deal } никто не запрашивал.
err-refund-not-overdue = Сделка #{ $deal } не просрочена, поэтому вернуть деньги сейчас нельзя.
err-log-hours-invalid = Часы должны быть числом больше 0 и не больше { $max }, например 1.5.
err-log-not-running = Время можно учитывать только по оплаченной сделке; сделка #{ $deal } не оплачена.
err-dispute-reason-required = Укажите причину спора длиной от { $min } до { $max } символов{ $length ->
        [0] .
       *[other] ; у вас { $length ->
        [one] { $length } символ
        [few] { $length } символа
       *[other] { $length } символов
    }.
    }
err-dispute-none-open = По сделке #{ $deal } нет открытого спора.
err-dispute-evidence-empty = Пришлите свою позицию текстом или файлами.
err-dispute-evidence-too-long = Ваша позиция — не больше { $max } символов; у вас { $length ->
        [one] { $length } символ
        [few] { $length } символа
       *[other] { $length } символов
    }.
err-resolve-outcome-invalid = Решение должно быть release, refund или split.
err-rate-not-finished = Сделка #{ $deal } ещё не завершена, поэтому оценить её нельзя.
err-rate-already = Вы уже оценили сделку #{ $deal }.

## Платежи и выплаты

err-payment-unknown = Этот платёж не относится ни к одной сделке.
err-payment-not-client = Оплатить сделку может только её заказчик.
err-payment-not-awaiting = Эта сделка больше не ждёт оплаты.
err-payment-mismatch = Сумма или валюта не совпадают со сделкой.
err-payout-nothing = На вашем балансе нечего выводить.
err-payout-already-requested = Выводить больше нечего: ваши { $amount } уже в выплате #{ $payout }, которую переведёт модератор (см. /balance).
err-payout-already-requested-many = Выводить больше нечего: ваши деньги уже в выплатах ({ $count }), которые переведёт модератор (см. /balance).
err-payout-too-much = Вывести можно не больше { $available }.
err-payout-not-found = Выплаты #{ $payout } нет.
err-payout-already-paid = Выплата #{ $payout } уже отмечена как выплаченная.
err-payout-which-currency = На вашем балансе несколько валют ({ $currencies }): укажите валюту после суммы, например /payout 50 { $code }, или отправьте просто /payout, чтобы вывести всё.
err-currency-invalid = Укажите валюту её кодом, например USD или EUR (XTR — звёзды).
err-deal-currency-unpayable = Заказ #{ $job } оценён в { $currency }, а платежи в { $currency } сейчас здесь не принимаются, поэтому принять отклик на него нельзя.
err-job-budget-currency = Цены теперь указываются в { $currency }: введите бюджет ещё раз.

## Аргументы команд сделок

err-dealcmd-usage-deal = Укажите сделку: /deal 5.
err-dealcmd-usage-deliver = Укажите сделку, которую сдаёте: /deliver 5, можно с комментарием.
err-dealcmd-usage-release = Укажите сделку, по которой передать деньги: /release 5.
err-dealcmd-usage-revise = Укажите сделку и что изменить: /revise 5 сделайте логотип крупнее.
err-dealcmd-usage-extend = Укажите сделку и на сколько продлить: /extend 5 3д.
err-dealcmd-usage-canceldeal = Укажите сделку для отмены: /canceldeal 5.
err-dealcmd-usage-dispute = Укажите сделку и причину: /dispute 5 работа не сдана.
err-dealcmd-usage-log = Укажите сделку, часы и что сделано: /log 5 1.5 первый черновик.
err-dealcmd-usage-rate = Укажите сделку и оценку от 1 до 5: /rate 5 5 отличная работа.

## Удаление аккаунта

err-account-deal-running = Нельзя удалить аккаунт, пока идёт сделка #{ $deal }; сначала завершите или отмените её.
err-account-balance = Нельзя удалить аккаунт, пока на балансе { $amount }; сначала выведите деньги командой /payout.
err-account-payout-pending = Нельзя удалить аккаунт, пока выплата #{ $payout } не выполнена.
err-account-refund-pending = Нельзя удалить аккаунт, пока не завершён возврат по сделке #{ $deal }.
# Ответ, потерянный при перезапуске (bot/services/lost_answers.py).
reply-lost-message = Ваше сообщение «{ $said }» получено и выполнено, но ответ на него потерялся при перезапуске. Посмотреть, как обстоят дела, можно в /deals, /mybids или /myjobs.
reply-lost-button = Нажатие «{ $said }» получено и выполнено, но ответ на него потерялся при перезапуске. Посмотреть, как обстоят дела, можно в /deals, /mybids или /myjobs.
reply-lost-payment = Ваш платёж получен и учтён, но ответ на него потерялся при перезапуске. Посмотреть, как обстоят дела, можно в /deals.
reply-lost-other = Ваше действие получено и выполнено, но ответ на него потерялся при перезапуске. Посмотреть, как обстоят дела, можно в /deals, /mybids или /myjobs.
