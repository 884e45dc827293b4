mod-resolved = Сделка #{ $deal }: { $outcome ->
        [release] деньги переданы исполнителю
        [refund] деньги возвращены заказчику
       *[split] разделено, { $percent }% исполнителю
    }, решение принял { $moderator }.
mod-banned = Пользователь { $user } заблокирован.
mod-unbanned = Пользователь { $user } разблокирован.
mod-job-removed = Заказ #{ $job } снят; исполнители, оставившие отклики, уведомлены.
mod-payouts-empty = Нет ожидающих выплат и возвратов.
mod-payouts-title = <b>Ожидают выплаты: { $count }</b>
mod-payouts-owed = К выплате: { $owed }
mod-payout-line = Выплата #{ $payout }: пользователь { $user }, { $amount }, с { $since }. Отметьте выполненной: /paid { $payout }
mod-paid = Выплата #{ $payout } ({ $amount }) отмечена как выполненная.
mod-stats =
    <b>Маркетплейс</b>
    Заказы: { $jobs }
    Отклики: { $bids }
    Сделки: { $deals }
    Договоры по типам: { $kinds }
    В эскроу: { $escrow }
    Заработано комиссий: { $fees }
    Балансы: { $balances }
    К выплате: { $payable }
err-mod-resolve-usage = Формат: /resolve &lt;сделка&gt; release|refund|split &lt;процент исполнителю&gt; [комментарий]
err-mod-ban-usage = Формат: /ban &lt;id пользователя&gt; &lt;причина&gt;
err-mod-unban-usage = Формат: /unban &lt;id пользователя&gt;
err-mod-removejob-usage = Формат: /removejob &lt;заказ&gt; &lt;причина&gt;
err-mod-paid-usage = Формат: /paid &lt;выплата&gt;
err-mod-deal-usage = Формат: /deal &lt;сделка&gt;
alert-internal-error = ⚠️ Внутренняя ошибка при обработке обновления: { $error }. Подробности в журнале.
mod-evidence-added = 📎 Добавлено к спору по сделке #{ $deal }{ $files ->
        [0] {""}
        [one] {" "}({ $files } файл)
        [few] {" "}({ $files } файла)
       *[other] {" "}({ $files } файлов)
    }; модераторы это видят.
err-mod-evidence-usage = Изложите свою позицию по спору: /evidence &lt;сделка&gt; &lt;что произошло&gt;, или ответьте на сообщение о споре текстом или файлами.
mod-deadline-failed = ⚠️ Действие по сроку остановлено: { $kind } для #{ $subject } ({ $error }), { $attempts ->
        [one] { $attempts } неудачная попытка
        [few] { $attempts } неудачные попытки
       *[other] { $attempts } неудачных попыток
    }. Само оно больше не запустится; срок сохранён как неудавшийся, подробности в журнале.{ $others ->
        [0] {""}
        [one] {" "}Ещё { $others } действие после прошлого оповещения тоже остановлено.
        [few] {" "}Ещё { $others } действия после прошлого оповещения тоже остановлены.
       *[other] {" "}Ещё { $others } действий после прошлого оповещения тоже остановлены.
    }

## Меню команд в группе модераторов (setMyCommands для этого чата)

cmd-mod-resolve = Решить спор: сделка release|refund|split процент
cmd-mod-deal = Вся история сделки
cmd-mod-ban = Заблокировать: id пользователя, причина
cmd-mod-unban = Снять блокировку: id пользователя
cmd-mod-removejob = Снять заказ: заказ, причина
cmd-mod-payouts = Ожидающие выплаты и возвраты
cmd-mod-paid = Отметить выплату выполненной
cmd-mod-stats = Заказы, отклики, сделки и деньги

## Журнал решений (/audit)

cmd-mod-audit = Журнал решений: сделка, пользователь, заказ или выплата
err-mod-audit-usage = Формат: /audit [deal|user|job|payout] [номер или @username]; просто номер — это сделка.
audit-title-all = <b>Журнал решений</b>, сначала новые
audit-title-deal = <b>Журнал решений по сделке #{ $id }</b>
audit-title-user = <b>Журнал решений по пользователю { $id }</b>
audit-title-job = <b>Журнал решений по заказу #{ $id }</b>
audit-title-payout = <b>Журнал решений по выплате #{ $id }</b>
audit-empty = Записей нет.
audit-line = #{ $id } · { $when } · { $who }: { $what }{ $why }
audit-operator = оператор (настройки)
audit-why = {" "}— «{ $reason }»
audit-what-resolve = решил спор по сделке #{ $deal }: { $outcome ->
        [release] деньги переданы исполнителю
        [refund] деньги возвращены заказчику
       *[split] разделено, { $percent }% исполнителю
    }
audit-what-ban = заблокировал пользователя { $user }
audit-what-unban = разблокировал пользователя { $user }
audit-what-remove-job = снял заказ #{ $job } (заказчик { $user })
audit-what-payout-paid = отметил выплату #{ $payout } выполненной ({ $amount } пользователю { $user })
audit-what-config-changed = { $first ->
        [yes] настройки записаны
       *[no] настройки изменены
    }: { $changes }
