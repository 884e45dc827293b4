### Пошаговые сценарии: публикация заказа (/post), отклик (/bid), правка профиля (/editprofile),
### а также категории заказов и их собственные вопросы.
### Каждый $title, $description, $brief, $text, $cover, $answer, $value набран человеком:
### код его экранирует.

## Общее для сценариев

flow-back = ◀ Назад
flow-cancel = ✖ Отмена
flow-skip = Пропустить ▶
flow-done = ✔ Готово
flow-yes = Да
flow-no = Нет
flow-use-buttons = Пожалуйста, воспользуйтесь кнопками ниже.
flow-send-text = Пожалуйста, ответьте текстовым сообщением.
flow-lost = Этот шаг устарел; ничего не изменено. Начните заново командой.
flow-private-only = Это работает только в личном чате с ботом.

## Категории заказов (кнопки, карточки заказов)

category-writing = ✍️ Тексты
category-programming = 💻 Программирование
category-design = 🎨 Дизайн
category-marketing = 📣 Маркетинг
category-translation = 🌐 Переводы
category-admin = 🗂 Администрирование
category-other = 🧩 Другое

## Собственные вопросы категорий

question-writing-pages = Сколько страниц?
question-writing-topic = Какая тема?
question-writing-style = Какой стиль или тон (научный, разговорный, SEO…)?
question-writing-words-per-page = Сколько слов на странице?
question-writing-native = Автор должен быть носителем языка?
question-programming-stack = Какие языки, фреймворки или платформы (стек)?
question-programming-repo = Ссылка на репозиторий (https://…).
question-design-deliverable = Что нужно нарисовать (логотип, лендинг, баннер…)?
question-design-formats = Какие форматы файлов нужны (SVG, PNG, Figma…)?
question-marketing-channel = Какой канал (SEO, соцсети, e-mail, реклама…)?
question-marketing-audience = Кто целевая аудитория?
question-translation-languages = С какого языка на какой (например, английский → немецкий)?
question-translation-words = Сколько слов?
question-translation-native = Переводчик должен быть носителем языка перевода?
question-admin-hours-per-week = Сколько часов в неделю?

## Публикация заказа

post-ask-category = <b>Новый заказ</b>, шаг 1: выберите категорию.
post-ask-title = <b>Название</b> заказа, от { $min } до { $max } символов.
post-ask-description = Опишите заказ: что нужно сделать и чего вы ждёте (от { $min } до { $max } символов).
post-ask-question = <b>Подробности</b>, вопрос { $n } из { $total }:
post-question-optional = <i>Необязательно: нажмите «Пропустить», если не относится к делу.</i>
post-current = Сейчас: <i>{ $value }</i>
post-ask-budget = Ваш <b>бюджет</b>: точная сумма, например <code>150</code> ({ $fixed }), или диапазон, например <code>100-200</code> (от { $low } до { $high }).
post-budget-range = { $low } – { $high }
post-ask-deadline = Когда работа должна быть <b>сдана</b>? Срок вида <code>3д</code>, <code>12 часов</code>, <code>2 недели</code> или дата вида <code>{ $example }</code>; не раньше чем через { $min }.
post-ask-brief = Необязательное <b>закрытое ТЗ</b> (до { $max } символов): подробности, которые увидят только отобранные вами исполнители. Отправьте его или нажмите «Пропустить».
post-ask-nda = Должны ли отобранные исполнители принять <b>NDA</b>, прежде чем увидят закрытое ТЗ?
post-ask-nda-text = Отправьте текст вашего NDA (до { $max } символов) или используйте стандартный.
post-btn-nda-default = Стандартное NDA
post-nda-too-long = Текст NDA может быть не длиннее { $max } символов; у вас { $length ->
        [one] { $length } символ
        [few] { $length } символа
       *[other] { $length } символов
    }.
post-ask-files = Необязательные <b>файлы</b>: отправьте документы или фото (до { $max }), затем нажмите «Готово».
post-files-added = { $count ->
        [one] Добавлен { $count } файл
        [few] Добавлено { $count } файла
       *[other] Добавлено { $count } файлов
    } (не больше { $max }). Отправьте ещё или нажмите «Готово».
post-files-full = У заказа может быть не больше { $max } файлов; нажмите «Готово».
post-files-hint = Отправьте документ или фото или нажмите «Готово».
post-btn-publish = ✅ Опубликовать
post-btn-edit = ✏️ Изменить
post-ask-edit = Что вы хотите изменить?
post-edit-category = Категория
post-edit-title = Название
post-edit-description = Описание
post-edit-questions = Подробности
post-edit-budget = Бюджет
post-edit-deadline = Срок
post-edit-brief = Закрытое ТЗ
post-edit-files = Файлы
post-preview-head = <b>Предпросмотр</b>: так будет выглядеть ваш заказ. Опубликовать?
post-preview-title = <b>{ $title }</b>
post-preview-category = Категория: { $category }
post-preview-budget = Бюджет: { $budget }
post-preview-deadline = Срок: { $deadline }
post-preview-description = { $description }
post-preview-answers = <b>Подробности</b>
post-preview-answer = • { $question } <i>{ $answer }</i>
post-preview-brief = Закрытое ТЗ: <i>{ $brief }</i>
post-preview-no-brief = Без закрытого ТЗ.
post-preview-nda-none = Без NDA.
post-preview-nda-default = Отобранные исполнители сначала принимают стандартное NDA.
post-preview-nda-custom = Отобранные исполнители сначала принимают ваше NDA: <i>{ $text }</i>
post-preview-files = { $count ->
        [0] Без файлов.
        [one] { $count } файл.
        [few] { $count } файла.
       *[other] { $count } файлов.
    }
post-published = ✅ Заказ #{ $job } опубликован. Отклики на «{ $title }» будут приходить в этот чат.
post-cancelled = Публикация заказа отменена; ничего не сохранено.

nda-default-text = Исполнитель обязуется хранить в тайне закрытое ТЗ этого заказа и все файлы и сведения, которые заказчик сообщает о нём, использовать их только для выполнения этого заказа, никому их не раскрывать и удалить их по окончании заказа или по просьбе заказчика.

## Отклики

bid-usage = Как откликнуться: /bid &lt;номер заказа&gt; — по шагам, или /bid &lt;номер заказа&gt; &lt;сумма&gt; &lt;дней&gt; &lt;сопроводительное письмо&gt; — одной строкой.
bid-ask-amount = <b>Отклик на заказ #{ $job }</b> · { $title }
    Бюджет: { $budget }

    Ваша <b>цена</b> за всю работу?
bid-ask-days = За сколько <b>дней</b> вы сдадите работу? (от { $min } до { $max })
bid-ask-cover = Ваше <b>сопроводительное письмо</b> заказчику (до { $max } символов): почему вы и как будете делать.
bid-confirm = <b>Ваш отклик на заказ #{ $job }</b> · { $title }
    Цена: { $amount }
    Срок: { $days ->
        [one] { $days } день
        [few] { $days } дня
       *[other] { $days } дней
    }
    <i>{ $cover }</i>

    Отправить?
bid-btn-confirm = ✅ Подтвердить
bid-placed = Отклик #{ $bid } на заказ #{ $job } отправлен: { $amount }, { $days ->
        [one] { $days } день
        [few] { $days } дня
       *[other] { $days } дней
    }. Заказчик получит уведомление.
bid-updated = Отклик #{ $bid } на заказ #{ $job } обновлён: { $amount }, { $days ->
        [one] { $days } день
        [few] { $days } дня
       *[other] { $days } дней
    }. Заказчик получит уведомление.
bid-cancelled = Отклик отменён; ничего не отправлено.

## Правка профиля

editprofile-head = <b>Ваш профиль</b>: выберите, что изменить.
editprofile-card =
    <b>О себе</b>: { $bio }
    <b>Навыки</b>: { $skills }
    <b>Опыт</b>: { $years }
    <b>Портфолио</b>: { $portfolio }
editprofile-empty = —
editprofile-years = { $years ->
        [one] { $years } год
        [few] { $years } года
       *[other] { $years } лет
    }
editprofile-btn-bio = О себе
editprofile-btn-skills = Навыки
editprofile-btn-years = Опыт
editprofile-btn-portfolio = Портфолио
editprofile-ask-bio = Отправьте новый текст <b>о себе</b> (до { $max } символов) или <code>-</code>, чтобы очистить.
editprofile-ask-skills = Отправьте ваши <b>навыки</b> через запятую (например, Python, Django, PostgreSQL) или <code>-</code>, чтобы очистить.
editprofile-ask-years = Сколько у вас <b>лет опыта</b>? Отправьте число от 0 до 99.
editprofile-ask-portfolio = Отправьте до 10 <b>ссылок на портфолио</b> (https://…) через пробел или с новой строки или <code>-</code>, чтобы очистить.
editprofile-saved = Сохранено.
editprofile-done = Профиль сохранён; /profile покажет его.
