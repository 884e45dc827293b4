## Hourly contracts (issue 14): a rate per hour, a weekly limit, weeks from Monday 00:00 UTC.

bid-placed-hourly = ✅ Bid #{ $bid } on Job #{ $job } is placed: { $rate } an hour, at most { $hours } h a week.
bid-updated-hourly = ✏️ Bid #{ $bid } on Job #{ $job } is updated: { $rate } an hour, at most { $hours } h a week.

hourly-log-done = ⏱ { $hours } h logged on Deal #{ $deal } (entry #{ $entry }): { $total } of { $limit } h in the week of { $week }.
hourly-edit-done = ✏️ Entry #{ $entry } on Deal #{ $deal } is now { $hours } h: { $total } of { $limit } h in the week of { $week }.
hourly-approve-done = ✅ You approved { $hours } h of the week of { $week } on Deal #{ $deal }: { $paid } is paid to the freelancer.
deal-canceldeal-ended = 🏁 Deal #{ $deal } has ended; every week is settled and what was left in escrow goes back to the client.
deal-canceldeal-ending = Deal #{ $deal } is ending: no more time can be logged. Its last week is settled as usual (edits until Monday 12:00 UTC, then the client's review), then what is left in escrow goes back to the client.
deal-canceldeal-confirm-hourly = End the hourly contract Deal #{ $deal }? No more time can be logged; the last week is settled as usual.
hourly-btn-end = 🏁 End the contract

invoice-week-title = Deal #{ $deal }, week of { $week }
invoice-week-description = Funds the week of { $week } on Deal #{ $deal } “{ $title }”: up to { $limit_hours } h at { $rate } an hour, less { $credit_text } of credit. Unused money stays as credit for the next week.
invoice-week-label = Week of { $week }

notify-hourly-week-credit = 🗓 The week of { $week } on Deal #{ $deal } is funded from the contract's credit: up to { $limit_hours } h until { $closes_at }.
notify-hourly-week-unpaid = ⏸ Deal #{ $deal } is paused: the client has not funded the week of { $week } yet. Time can be logged once it is funded; you will be told.
notify-hourly-paid-client = 💰 Payment received: the week of { $week } on Deal #{ $deal } is funded with { $amount }.
notify-hourly-funded-freelancer = 💰 The week of { $week } on Deal #{ $deal } is funded: log up to { $limit_hours } h with /log { $deal } &lt;hours&gt; &lt;note&gt; until { $closes_at }.
notify-hourly-review = 🧾 The week of { $week } on Deal #{ $deal }: { $hours } h, { $paid } to pay. Approve with /approve { $deal } or dispute with /dispute { $deal } &lt;reason&gt; by { $review_ends_at }; if you do neither, the hours are approved then.
notify-hourly-approved-freelancer = ✅ The week of { $week } on Deal #{ $deal } is approved{ $auto ->
        [yes] {" "}(the client's review window ended)
       *[other] {""}
    }: { $hours } h, { $paid } to your balance (fee { $fee }).
notify-hourly-approved-client = ✅ The week of { $week } on Deal #{ $deal } is approved: your review window ended. { $hours } h are paid to the freelancer.
notify-hourly-unfunded = ⏸ The week of { $week } on Deal #{ $deal } ended unfunded: no time was logged in it and nothing is paid for it.
notify-hourly-ending = Deal #{ $deal } is ending ({ $by_name } ended it): no more time can be logged. The last week is settled as usual, then what is left in escrow goes back to the client.
notify-hourly-closed = 🏁 Deal #{ $deal } has ended. Paid to the freelancer in all: { $paid }. Back to the client: { $back }{ $stars ->
        [0] {""}
       *[other] {" "}(Stars refunded by Telegram: { $stars_text })
    }{ $balance ->
        [0] {""}
       *[other] {" "}(to the client's balance, payout request #{ $payout })
    }.
notify-hourly-resolved = ⚖️ A moderator decided the dispute over the week of { $week } on Deal #{ $deal } ({ $hours } h): { $outcome ->
        [release] every hour is paid
        [refund] no hour is paid
       *[split] { $percent }% of the hours' pay goes to the freelancer
    }. { $paid } to the freelancer (fee { $fee }); the rest of the week's limit stays as the contract's credit.

hourly-card-terms = Hourly: { $rate } an hour, at most { $hours } h a week ({ $limit } a week)
hourly-card-escrow = In escrow: { $escrow } · free credit: { $credit }
hourly-card-paid = Paid to the freelancer: { $paid }
hourly-card-ended = Ended { $at }: no more time is logged
hourly-card-week = • Week of { $week }: { $state ->
        [awaiting_funding] awaiting funding
        [funded] funded
        [unfunded] unfunded (paused)
        [review] in the client's review
        [disputed] in dispute
        [approved] approved
        [resolved] decided by a moderator
       *[other] { $state }
    } · { $hours } of { $limit } h · paid { $paid }
hourly-card-edit-until = {"  "}hours can be logged and edited until { $at }
hourly-card-review-until = {"  "}approved by silence { $at }
hourly-card-hint-review = Approve the week's hours with /approve { $deal } or dispute them with /dispute { $deal } &lt;reason&gt;.
hourly-card-hint-freelancer = Log time with /log { $deal } &lt;hours&gt; &lt;note&gt;; change an entry with /edithours &lt;entry&gt; &lt;hours&gt; [note].

hourly-dispute-card-week = ⏱ Hourly: the week of { $week }, { $hours } h at { $rate } an hour: { $pay } at stake. Release pays every hour, refund none (the week's limit stays as the contract's credit), a split that share; the contract goes on.

err-hourly-unfunded = Deal #{ $deal } is paused: the week of { $week } is not funded, so no time can be logged until the client pays it.
err-hourly-over-limit = That goes over the weekly limit of { $limit } h on Deal #{ $deal }: { $left } h are left this week.
err-hourly-edit-closed = The hours of the week of { $week } on Deal #{ $deal } can no longer be changed: editing ended { $until }.
err-hourly-only-freelancer = Only the freelancer of Deal #{ $deal } logs and edits its hours.
err-hourly-only-client-approve = Only the client of Deal #{ $deal } can approve its hours.
err-hourly-only-client-dispute = Only the client of Deal #{ $deal } can dispute its hours.
err-hourly-nothing-in-review = No week of Deal #{ $deal } is waiting for the client's review.
err-hourly-dispute-open = Deal #{ $deal } has a dispute open already; the moderators decide it first.
err-hourly-ended = Deal #{ $deal } has ended: no more time can be logged and it can't be ended again.
err-hourly-not-hourly = Deal #{ $deal } is not an hourly contract.
err-hourly-not-for-hourly = Deal #{ $deal } is an hourly contract: it is paid week by week (/log, /approve), not delivered, extended or released.
err-hourly-entry-not-found = There is no time entry #{ $entry }.
err-hourly-limit-invalid = The weekly limit must be a whole number of hours from 1 to { $max }.
err-hourly-bid-usage = An hourly bid: /bid 12 20/h 10 cover letter (20 an hour, at most 10 hours a week).
err-dealcmd-usage-edithours = Say which entry and how many hours: /edithours 12 2.5 [note] (0 removes it).
err-dealcmd-usage-approve = Say which deal: /approve 5.
