## Сделки по этапам (issue 14): bot/handlers/milestones.py, bot/views/milestones.py

milestone-state = { $state ->
        [pending] впереди
        [proposed] предложен, ждёт исполнителя
        [awaiting_funding] ждёт оплаты
        [funded] оплачен, идёт работа
        [delivered] сдан, на проверке
        [disputed] спор
        [released] деньги переданы
        [split] разделён модераторами
        [refunded] деньги возвращены
        [cancelled] отменён
       *[other] { $state }
    }
milestone-line = { $current ->
        [yes] ▶️
       *[other] ·
    } { $position }. { $name }: { $amount } · { milestone-state }
milestone-line-settled = (исполнителю { $paid }, заказчику вернулось { $back })
milestone-card-title = 🧩 <b>Этапы</b> ({ $count }); кнопки относятся к ▶️ текущему:
milestone-btn-accept = ✅ Принять этап
milestone-btn-decline = ✖️ Отклонить

milestones-set = 🧩 Отклик #{ $bid } теперь оплачивается по этапам ({ $count }), по одному:
milestones-show = 🧩 Отклик #{ $bid } ({ $amount }), этапов: { $count }:
milestones-none = У отклика #{ $bid } нет этапов: он оплачивается сразу. Предложите их: /milestones { $bid } Название = сумма; Название = сумма.
milestones-added = Этап «{ $name }» ({ $amount }) предложен для сделки #{ $deal }; он войдёт в договор, когда исполнитель его примет.
milestones-accepted = Этап «{ $name }» ({ $amount }) добавлен в сделку #{ $deal }; сумма договора теперь { $total }.
milestones-declined = Вы отклонили этап «{ $name }» ({ $amount }) сделки #{ $deal }.
milestones-released = ✅ Этап «{ $name }» сделки #{ $deal } принят: { $amount } переданы исполнителю.
milestones-next-invoice = Дальше этап { $position }, «{ $name }» ({ $amount }); счёт придёт следом.
deal-canceldeal-closed = Сделка #{ $deal } завершена: оплаченные этапы остаются оплаченными, остальные не оплачиваются.

invoice-milestone-title = Сделка #{ $deal }, этап { $position }
invoice-milestone-description = Оплатите до { $due_at }. Этап { $position } «{ $name }» заказа #{ $job } «{ $title }»: { $amount } хранятся на гарантийном счёте, пока вы не передадите их исполнителю.
invoice-milestone-label = Этап { $position }, гарантия

notify-milestones-plan = 🧩 { $by_name } задал(а) этапы отклика #{ $bid } на заказ #{ $job } ({ $count }). Посмотреть: /milestones { $bid }.
notify-milestone-next-client = 🧩 Сделка #{ $deal }: следующий этап { $position }, «{ $name }» ({ $amount }). Оплатите счёт до { $due_at } или завершите договор: /canceldeal { $deal }.
notify-milestone-next-freelancer = 🧩 Сделка #{ $deal }: следующий этап { $position }, «{ $name }» ({ $amount }), ждёт оплаты заказчика (до { $due_at }). Пожалуйста, не начинайте его до оплаты.
notify-milestones-closed-client = Сделка #{ $deal } завершена, оплачено этапов: { $count } ({ $paid }); остальные этапы не оплачивались.
notify-milestones-closed-freelancer = Сделка #{ $deal } завершена, оплачено этапов: { $count } ({ $paid }); остальные этапы не оплачивались.
notify-milestone-proposed = 🧩 Заказчик предлагает ещё один этап сделки #{ $deal }: «{ $name }» ({ $amount }). Примите его, чтобы добавить в договор.
notify-milestone-accepted = ✅ Исполнитель принял этап «{ $name }» ({ $amount }) сделки #{ $deal }.
notify-milestone-declined = Исполнитель отклонил этап «{ $name }» ({ $amount }) сделки #{ $deal }.
notify-milestone-released = ✅ Этап «{ $name }» сделки #{ $deal } принят: { $paid } зачислены на ваш баланс (комиссия платформы { $fee }). Следующий этап ждёт оплаты заказчика.

err-milestones-usage = Напишите /milestones &lt;отклик&gt; Название = сумма; Название = сумма (или просто /milestones &lt;отклик&gt;, чтобы их увидеть).
err-milestones-usage-add = Напишите /addmilestone &lt;сделка&gt; Название = сумма.
err-milestones-syntax = Запишите каждый этап как «Название = сумма», разделяя этапы знаком «;».
err-milestones-title-too-long = Название этапа может быть не длиннее { $max } символов.
err-milestones-amount-positive = У этапа «{ $title }» сумма должна быть больше нуля.
err-milestones-too-many = В договоре может быть не больше { $max } этапов.
err-milestones-sum = Этапы в сумме дают { $amount }, а отклик на { $total }: сумма этапов должна точно совпадать с откликом.
err-milestones-stale-sum = Этапы отклика #{ $bid } в сумме дают { $amount }, а отклик теперь на { $total }; исправьте их командой /milestones { $bid } до найма.
err-milestones-not-party = Менять этапы отклика #{ $bid } могут только его исполнитель и заказчик.
err-milestones-bid-not-open = Отклик #{ $bid } уже не ждёт найма, его этапы менять нельзя.
err-milestones-not-milestones = Сделка #{ $deal } оплачивается сразу, а не по этапам.
err-milestones-contract-ended = Сделка #{ $deal } завершена.
err-milestones-proposal-waiting = Предложенный этап сделки #{ $deal } ещё ждёт ответа исполнителя.
err-milestones-no-proposal = В сделке #{ $deal } нет этапа, ждущего вашего ответа.
