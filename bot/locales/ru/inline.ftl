## Встроенный режим: `@бот слова` в любом чате (заголовок и строка результата — простой текст).

inline-result-title = Заказ #{ $job } · { $title }
inline-job-title = <b>Заказ #{ $job }</b> · <b>{ $title }</b>
inline-job-facts = { $category } · бюджет { $budget } · срок { $deadline }
inline-job-description = { $text }
inline-btn-open = Открыть заказ #{ $job }
inline-btn-bid = Откликнуться
