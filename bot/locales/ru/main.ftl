### Просмотр и повседневные команды: /start, /help, /language, заказы, отклики, люди, сообщения.
### Всё в $name, $title, $text, $query, $url набрал человек: код это экранирует.

## Меню команд (setMyCommands)

cmd-start = Начало: что умеет бот
cmd-help = Все команды
cmd-post = Разместить заказ
cmd-jobs = Открытые заказы
cmd-myjobs = Мои заказы и отклики на них
cmd-mybids = Мои отклики
cmd-alerts = Подписки на новые заказы
cmd-deals = Мои сделки
cmd-balance = Мой баланс
cmd-profile = Мой профиль
cmd-editprofile = Изменить профиль
cmd-payout = Вывести баланс
cmd-language = Сменить язык
cmd-cancel = Выйти из текущего шага
cmd-mydata = Все мои данные, одним файлом
cmd-deleteaccount = Удалить мой аккаунт

## Для всех

start-welcome =
    Добро пожаловать на биржу, { $name }!

    <b>Нужно что-то сделать?</b> Разместите заказ командой /post, сравните отклики в /bids и наймите исполнителя одним нажатием. Деньги ждут в эскроу, пока вы не примете работу.
    <b>Ищете работу?</b> Смотрите /jobs, откройте заказ и откликнитесь; оплата придёт, когда заказчик примет результат.

    /help — список всех команд.
help-text =
    <b>Для всех</b>
    /start · /help · /cancel · /language
    /profile [@username|id пользователя] · /editprofile
    /balance · /payout [сумма]
    /mydata: все ваши данные · /deleteaccount

    <b>Заказчикам</b>
    /post: разместить заказ
    /myjobs: ваши заказы и отклики на них
    /bids &lt;заказ&gt; [price|rating|experience]: отклики на заказ
    /shortlist &lt;отклик&gt; · /trial &lt;отклик&gt; &lt;задание&gt;
    /accept &lt;отклик&gt;: нанять (сделка и счёт)
    /decline &lt;отклик&gt; [причина] · /closejob &lt;заказ&gt;
    /repost &lt;заказ&gt;: закрытый или истёкший заказ ещё раз, со всеми ответами
    /invite &lt;@username|id пользователя&gt; &lt;заказ&gt;
    /fav &lt;@username|id пользователя&gt; · /favs
    /addmilestone &lt;сделка&gt; Название = сумма: ещё один этап (исполнитель его принимает)
    /offer &lt;@username&gt; [сумма дни название | описание]: прямое предложение без публичного заказа · /offers
    /reviewer &lt;сделка&gt; &lt;@username&gt;: добавить проверяющего к контракту

    <b>Исполнителям</b>
    /jobs [категория или слова]: открытые заказы
    /job &lt;заказ&gt;: карточка заказа
    /bid &lt;заказ&gt; [сумма дни сопроводительное письмо]
    /bid &lt;заказ&gt; &lt;цена часа&gt;/ч &lt;часов в неделю&gt; &lt;письмо&gt;: почасовой отклик (/bid 12 20/ч 10 …)
    /mybids · /withdraw &lt;отклик&gt;
    /milestones &lt;отклик&gt; Название = сумма; Название = сумма: оплата по этапам (до 10, в сумме равны отклику), по одному этапу за раз (заказчик может изменить их до найма)
    /propose &lt;@username&gt; сумма дни название | описание: следующий контракт бывшему заказчику
    /alerts: подписки — новые заказы по вашим поискам (сразу или сводкой раз в день)
    В любом чате: наберите @ и имя бота, затем слова — и поделитесь открытыми заказами (встроенный режим)

    <b>Обеим сторонам</b>
    /ask &lt;заказ&gt; &lt;вопрос&gt; · /msg &lt;отклик&gt; &lt;текст&gt; (чтобы ответить, ответьте на пересланное сообщение)
    /deals · /deal &lt;сделка&gt;
    /deliver &lt;сделка&gt; [заметка] · /release &lt;сделка&gt;
    /revise &lt;сделка&gt; &lt;что изменить&gt; · /extend &lt;сделка&gt; &lt;срок&gt;
    /canceldeal &lt;сделка&gt; · /dispute &lt;сделка&gt; &lt;причина&gt;
    /evidence &lt;сделка&gt; &lt;текст&gt;: ваша позиция по спору (или ответьте на сообщение о споре текстом или файлами)
    /log &lt;сделка&gt; &lt;часы&gt; &lt;заметка&gt; · /rate &lt;сделка&gt; &lt;1-5&gt; [отзыв]
    Почасовые контракты (недели с понедельника 00:00 UTC): заказчик оплачивает лимит каждой недели; /log — время недели, /edithours &lt;запись&gt; &lt;часы&gt; [заметка] — до понедельника 12:00 UTC; затем у заказчика есть время до пятницы 23:59 UTC, чтобы /approve &lt;сделка&gt; или /dispute; /canceldeal завершает контракт
    /verdict &lt;сделка&gt; pass|changes [заметки]: вердикт проверяющего (подписью к файлу — вместе с файлом)

    Номера пишутся без решётки: /accept 34 для отклика #34.
cancel-nothing = Отменять нечего.
language-choose = Выберите язык:
language-name-en = English
language-name-ru = Русский
language-set = Теперь бот говорит по-русски.
unknown-command = Такой команды я не знаю; все команды — в /help.
plain-text-hint = Я понимаю только команды; их список — в /help.

## Списки

when-just-now = только что

page-number = Страница { $page }
rating = ★ { $avg } ({ $count ->
        [one] { $count } отзыв
        [few] { $count } отзыва
       *[many] { $count } отзывов
    })
rating-none = оценок пока нет
person-name = { $name }
person-name-username = { $name } (@{ $username })
summary-line = { $rating } · { $done ->
        [one] { $done } заказ выполнен
        [few] { $done } заказа выполнено
       *[many] { $done } заказов выполнено
    } · с нами с { $since }

## Заказы

job-state-open = принимает отклики
job-state-hiring = идёт найм
job-state-in-progress = в работе
job-state-completed = выполнен
job-state-closed = закрыт
job-state-expired = истёк
job-state-removed = снят модератором
job-card-title = <b>Заказ #{ $job }</b> · <b>{ $title }</b>
job-card-category = Категория: { $category }
job-card-budget = Бюджет: { $budget }
job-card-deadline = Срок: { $deadline }
job-card-client = Заказчик: { $name }, { $rating }
job-card-bids = { $count ->
        [0] Откликов пока нет
        [one] { $count } отклик
        [few] { $count } отклика
       *[many] { $count } откликов
    }
job-card-state = Состояние: { $state }
job-card-nda = Исполнители из шорт-листа принимают NDA, прежде чем увидят закрытое описание.
job-card-description = { $text }
job-card-details = <b>Подробности</b>
job-card-answer = • { $question } <i>{ $answer }</i>
job-card-files = 📎 { $count ->
        [one] { $count } файл
        [few] { $count } файла
       *[other] { $count } файлов
    }: { $names }
job-card-file-photo = фото
job-card-file-other = файл
job-card-brief-client = 🔒 <b>Закрытое ТЗ</b> (его видите только вы и исполнители из вашего шорт-листа):
    { $text }
job-card-brief-shortlisted = 🔒 <b>Закрытое ТЗ</b> (открыто вам как исполнителю из шорт-листа):
    { $text }
job-btn-files = 📎 Файлы ({ $count })
job-btn-bid = Откликнуться
job-btn-ask = Задать вопрос
job-btn-bids = Отклики ({ $count })
jobs-head = <b>Открытые заказы</b>, сначала новые:
jobs-head-filtered = <b>Открытые заказы</b> по запросу «{ $query }», сначала новые:
jobs-empty = Открытых заказов сейчас нет. Новые появляются каждый день: загляните позже.
jobs-empty-filtered = По запросу «{ $query }» открытых заказов нет. Попробуйте другие слова или /jobs без фильтра.
jobs-line = <b>Заказ #{ $job }</b> · { $title }
    { $category } · { $budget }
btn-job = #{ $job }
myjobs-head = <b>Ваши заказы</b>:
myjobs-empty = Вы ещё не размещали заказов; начните с /post.
myjobs-line = <b>Заказ #{ $job }</b> · { $title } · { $state } · { $count ->
        [one] { $count } отклик
        [few] { $count } отклика
       *[many] { $count } откликов
    }
btn-job-bids = Отклики на #{ $job } ({ $count })
job-closed = Заказ #{ $job } закрыт для новых откликов; идущие сделки это не затрагивает.

## Отклики

bid-state-active = активен
bid-state-accepted = принят
bid-state-declined = отклонён
bid-state-withdrawn = отозван
bids-head = <b>Отклики на заказ #{ $job }</b> · { $title }
bids-sorted = Сортировка: { $sort }.
bids-sort-price = цена
bids-sort-rating = рейтинг
bids-sort-experience = опыт
bids-empty = На заказ #{ $job } ({ $title }) откликов пока нет.
bid-line = <b>Отклик #{ $bid }</b> · { $name } · { $amount } за { $days ->
        [one] { $days } день
        [few] { $days } дня
       *[many] { $days } дней
    }
bid-cover = <i>{ $text }</i>
bid-mark-hired-before = ✔ уже работали вместе
bid-mark-shortlisted = ☆ в шорт-листе
bid-mark-nda = 🔏 NDA принято { $at }
btn-shortlist = В шорт-лист #{ $bid }
btn-message = Написать #{ $bid }
btn-trial = Пробное #{ $bid }
btn-accept = Нанять #{ $bid }
btn-decline = Отклонить #{ $bid }
bid-shortlisted = Отклик #{ $bid } в шорт-листе; { $gets ->
        [brief] исполнитель получит закрытое ТЗ заказа #{ $job }.
        [nda] исполнителя попросят принять NDA заказа #{ $job }, после чего он получит закрытое ТЗ.
       *[nothing] исполнителю сообщено.
    }
deal-created = Сделка #{ $deal } создана; оплатите счёт ниже до { $due }, чтобы внести деньги.
bid-declined = Отклик #{ $bid } отклонён; исполнитель получит уведомление.
trial-requested = Пробное задание #{ $trial } отправлено исполнителю отклика #{ $bid }.
mybids-head = <b>Ваши отклики</b>:
mybids-empty = У вас пока нет откликов; работа ищется в /jobs.
mybids-line = <b>Отклик #{ $bid }</b> на заказ #{ $job } · { $title } · { $amount }, { $days ->
        [one] { $days } день
        [few] { $days } дня
       *[many] { $days } дней
    } · { $state }
bid-withdrawn = Отклик #{ $bid } на заказ #{ $job } отозван.
nda-accepted = Вы приняли NDA заказа #{ $job } «{ $title }»; заказчику сообщено.
nda-declined = Вы отказались от NDA заказа #{ $job }; заказчик получит уведомление.
trial-accepted = Вы взялись за пробное задание #{ $trial }; заказчик получит уведомление. Когда результат будет готов, нажмите «Сдать результат» под заданием выше и пришлите его.
trial-declined = Вы отказались от пробного задания #{ $trial }; заказчик получит уведомление.
trial-submit-how = Пришлите результат пробного задания #{ $trial } текстом, документами или фото, затем нажмите «Готово».
btn-trial-submit = 📤 Сдать результат
trial-submit-ask = 📤 <b>Результат пробного задания #{ $trial }</b>
    <blockquote>{ $task }</blockquote>
    Пришлите результат: текстовые сообщения, документы или фото, сколько нужно. Когда всё отправлено, нажмите «Готово» — заказчик получит всё сразу.
trial-submit-got = 📥 Пробное задание #{ $trial }, получено: { $texts ->
        [one] { $texts } текст
        [few] { $texts } текста
       *[other] { $texts } текстов
    }, { $files ->
        [one] { $files } файл
        [few] { $files } файла
       *[other] { $files } файлов
    }. Пришлите ещё или нажмите «Готово», чтобы отправить заказчику.
trial-submit-done = 🧪 Результат пробного задания #{ $trial } отправлен заказчику{ $files ->
        [0] .
        [one] , { $files } файл.
        [few] , { $files } файла.
       *[other] , { $files } файлов.
    }
trial-submit-cancelled = По пробному заданию #{ $trial } ничего не отправлено; нажмите «Сдать результат» снова, когда всё будет готово.
bid-trial = 🧪 Пробное задание #{ $trial } · { $state }: <i>{ $task }</i>
bid-trial-state = { $state ->
        [requested] ждёт ответа исполнителя
        [accepted] в работе
        [declined] отклонено
       *[submitted] результат сдан
    }
bid-trial-result = Результат: <i>{ $text }</i>
bid-trial-files = 📎 Файлов: { $count }; они пришли вам вместе с результатом.
btn-trial-result = 🧪 Результат #{ $trial }
trial-view-head = <b>Пробное задание #{ $trial }</b> · отклик #{ $bid } · заказ #{ $job }

## Люди

profile-title = <b>{ $name }</b> · пользователь { $user }
profile-banned = ⛔ Заблокирован.
profile-bio = { $text }
profile-skills = Навыки: { $text }
profile-years = Опыт: { $years ->
        [one] { $years } год
        [few] { $years } года
       *[many] { $years } лет
    }
profile-portfolio = Портфолио:
    { $links }
profile-link = • { $url }
profile-since = С нами с { $since }
profile-deals = Завершённых сделок: { $count }
profile-rating = Рейтинг: { $rating }
profile-disputes-lost = Проиграно споров: { $count }
profile-reviews-head = <b>Последние отзывы</b>
profile-review = { $stars } { $date }: { $text }
profile-review-bare = { $stars } { $date }
profile-empty-hint = Добавьте о себе, навыки и ссылки на портфолио через /editprofile: заказчики читают их перед наймом.
btn-fav = ☆ В избранное
fav-added = { $name } теперь в избранном; список — в /favs.
favs-head = <b>Избранные исполнители</b>:
favs-empty = В избранном пока никого; добавьте командой /fav @username.
favs-line = <b>{ $name }</b> · пользователь { $user }
invite-sent = { $name } приглашён откликнуться на заказ #{ $job }.
balance-card =
    <b>Ваш баланс</b>
    Доступно: { $available }
    Ожидает выплаты: { $pending }
balance-refunding = Возвращается вам через Telegram: { $amount } (сделка #{ $deal }, запрошено { $since }).
balance-hint = Выведите его командой /payout или /payout с суммой.
balance-pending = Выплата #{ $payout } на { $amount } (запрошена { $since }) ждёт, когда модератор переведёт её вне бота; когда она будет произведена, придёт сообщение.
balance-hint-several = Выведите всё командой /payout (отдельная выплата для каждой валюты) или часть — командой /payout с суммой и валютой, например /payout 50 { $code }.
payout-requested = Запрошена выплата #{ $payout } на { $amount }; модератор переведёт деньги вне бота и отметит выплату.

## Сообщения

ask-sent = Ваш вопрос о заказе #{ $job } отправлен заказчику; его ответ придёт сюда:
    <blockquote>{ $text }</blockquote>
msg-sent = Ваше сообщение по отклику #{ $bid } отправлено.
reply-sent = Ваш ответ отправлен.

## Как пользоваться (ключи InvalidInput этих команд)

err-args-job = Использование: /job &lt;номер заказа&gt;
err-args-closejob = Использование: /closejob &lt;номер заказа&gt;
err-args-bids = Использование: /bids &lt;номер заказа&gt; [price|rating|experience]
err-args-bids-sort = Отклики сортируются по цене (price), рейтингу (rating) или опыту (experience).
err-args-bid = Это не номер отклика.
err-args-shortlist = Использование: /shortlist &lt;номер отклика&gt;
err-args-accept = Использование: /accept &lt;номер отклика&gt;
err-args-decline = Использование: /decline &lt;номер отклика&gt; [причина]
err-args-trial = Использование: /trial &lt;номер отклика&gt; &lt;задание&gt;
err-args-trial-id = Это не номер пробного задания.
err-args-withdraw = Использование: /withdraw &lt;номер отклика&gt;
err-args-fav = Использование: /fav &lt;@username или id пользователя&gt;
err-args-invite = Использование: /invite &lt;@username или id пользователя&gt; &lt;номер заказа&gt;
err-args-ask = Использование: /ask &lt;номер заказа&gt; &lt;вопрос&gt;
err-args-msg = Использование: /msg &lt;номер отклика&gt; &lt;текст&gt;

## Ваши данные: /mydata, /deleteaccount

person-deleted = удалённый аккаунт
text-deleted = (удалено)
mydata-caption = Всё, что биржа хранит о вас: профиль, заказы, отклики, сделки, сообщения, деньги и отзывы (время в UTC, суммы в минимальных единицах валюты).
deleteaccount-confirm =
    <b>Удалить ваш аккаунт?</b>
    Имя, username, описание, навыки и портфолио будут стёрты, а ваши сообщения и сопроводительные письма заменены на «(удалено)». Открытые заказы закроются, отклики будут отозваны.
    То, что нужно другим и бухгалтерии, останется без вашего имени: прошлые сделки (с пометкой «удалённый аккаунт»), отзывы и записи о платежах.
    Отменить это нельзя; если вы снова напишете боту, начнётся новый профиль.
deleteaccount-yes = Да, удалить
deleteaccount-no = Нет, оставить
deleteaccount-kept = Аккаунт остаётся; ничего не изменилось.
deleteaccount-done = Ваш аккаунт удалён. Спасибо, что пользовались биржей; /start начнёт всё заново.
## Сигналы доверия (правила в bot/domain/trust.py и в README)
trust-rate = { $pct } %
trust-rate-none = нет данных
trust-top-rated = 🏅 Лучший исполнитель
trust-freelancer = Завершено { $completion } оплаченных сделок ({ $released }/{ $funded }) · в срок { $ontime } · проиграно споров: { $lost }
trust-freelancer-new = Оплаченных сделок пока нет
trust-client = Исполнитель выбран в { $hire } заказов ({ $hired }/{ $jobs }) · оплачено { $paid } из { $owed } принятых откликов · проиграно споров: { $lost }
trust-client-new = Найма пока не было
profile-as-freelancer = Как исполнитель: { $line }
profile-as-client = Как заказчик: { $line }
