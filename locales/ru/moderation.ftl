mod-resolved = Сделка #{ $deal }: { $outcome ->
        [release] деньги переданы исполнителю
        [refund] деньги возвращены заказчику
       *[split] разделено, { $percent }% исполнителю
    }, решение принял { $moderator }.
mod-banned = Пользователь { $user } заблокирован.
mod-unbanned = Пользователь { $user } разблокирован.
mod-job-removed = Заказ #{ $job } снят; исполнители, подавшие заявки, уведомлены.
mod-payouts-empty = Нет ожидающих выплат и возвратов.
mod-payouts-title = <b>Ожидают выплаты: { $count }</b>
mod-payout-line = Выплата #{ $payout }: пользователь { $user }, { $amount }, с { $since }. Отметьте выполненной: /paid { $payout }
mod-paid = Выплата #{ $payout } ({ $amount }) отмечена как выполненная.
mod-stats =
    <b>Маркетплейс</b>
    Заказы: { $jobs }
    Заявки: { $bids }
    Сделки: { $deals }
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
