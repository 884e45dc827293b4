mod-resolved = Deal #{ $deal }: { $outcome ->
        [release] released to the freelancer
        [refund] refunded to the client
       *[split] split, { $percent }% to the freelancer
    }, decided by { $moderator }.
mod-banned = User { $user } is banned.
mod-unbanned = User { $user } is no longer banned.
mod-job-removed = Job #{ $job } was taken down; its bidders are told.
mod-payouts-empty = No payout or refund requests are waiting.
mod-payouts-title = <b>Waiting payouts: { $count }</b>
mod-payouts-owed = Owed: { $owed }
mod-payout-line = Payout #{ $payout }: user { $user }, { $amount }, since { $since }. Mark it done with /paid { $payout }
mod-paid = Payout #{ $payout } ({ $amount }) is marked paid.
mod-stats =
    <b>Marketplace</b>
    Jobs: { $jobs }
    Bids: { $bids }
    Deals: { $deals }
    Contracts by type: { $kinds }
    In escrow: { $escrow }
    Fees earned: { $fees }
    Balances: { $balances }
    Payouts owed: { $payable }
err-mod-resolve-usage = Usage: /resolve &lt;deal&gt; release|refund|split &lt;percent to the freelancer&gt; [note]
err-mod-ban-usage = Usage: /ban &lt;user id&gt; &lt;reason&gt;
err-mod-unban-usage = Usage: /unban &lt;user id&gt;
err-mod-removejob-usage = Usage: /removejob &lt;job&gt; &lt;reason&gt;
err-mod-paid-usage = Usage: /paid &lt;payout&gt;
err-mod-deal-usage = Usage: /deal &lt;deal&gt;
alert-internal-error = ⚠️ Internal error while handling an update: { $error }. Details are in the log.
mod-evidence-added = 📎 Added to the dispute on Deal #{ $deal }{ $files ->
        [0] {""}
        [one] {" "}with 1 file
       *[other] {" "}with { $files } files
    }; the moderators see it.
err-mod-evidence-usage = Send your side of a dispute: /evidence &lt;deal&gt; &lt;what happened&gt;, or reply to the dispute message with text or files.
mod-deadline-failed = ⚠️ A timed action was given up: { $kind } of #{ $subject } ({ $error }), after { $attempts ->
        [one] { $attempts } failed attempt
       *[other] { $attempts } failed attempts
    }. It will not run by itself again; the deadline is kept as failed, and details are in the log.{ $others ->
        [0] {""}
        [one] {" "}{ $others } more was given up since the last alert.
       *[other] {" "}{ $others } more were given up since the last alert.
    }

## The command menu in the moderator group (setMyCommands for that chat)

cmd-mod-resolve = Decide a dispute: deal release|refund|split percent
cmd-mod-deal = A deal's whole history
cmd-mod-ban = Ban a user: user id, reason
cmd-mod-unban = Lift a ban: user id
cmd-mod-removejob = Take a job down: job, reason
cmd-mod-payouts = Waiting payouts and refunds
cmd-mod-paid = Mark a payout as paid
cmd-mod-stats = Jobs, bids, deals and money

## The audit trail (/audit)

cmd-mod-audit = The audit trail: deal, user, job or payout
err-mod-audit-usage = Usage: /audit [deal|user|job|payout] [number or @username]; a bare number is a deal.
audit-title-all = <b>Audit trail</b>, newest first
audit-title-deal = <b>Audit trail of Deal #{ $id }</b>
audit-title-user = <b>Audit trail of user { $id }</b>
audit-title-job = <b>Audit trail of Job #{ $id }</b>
audit-title-payout = <b>Audit trail of Payout #{ $id }</b>
audit-empty = Nothing is recorded.
audit-line = #{ $id } · { $when } · { $who }: { $what }{ $why }
audit-operator = the operator (configuration)
audit-why = {" "}— “{ $reason }”
audit-what-resolve = resolved Deal #{ $deal }: { $outcome ->
        [release] released to the freelancer
        [refund] refunded to the client
       *[split] split, { $percent }% to the freelancer
    }
audit-what-ban = banned user { $user }
audit-what-unban = lifted the ban on user { $user }
audit-what-remove-job = took down Job #{ $job } (client { $user })
audit-what-payout-paid = marked Payout #{ $payout } paid ({ $amount } to user { $user })
audit-what-config-changed = { $first ->
        [yes] configuration recorded
       *[no] configuration changed
    }: { $changes }
