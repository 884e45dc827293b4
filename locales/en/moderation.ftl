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
mod-payout-line = Payout #{ $payout }: user { $user }, { $amount }, since { $since }. Mark it done with /paid { $payout }
mod-paid = Payout #{ $payout } ({ $amount }) is marked paid.
mod-stats =
    <b>Marketplace</b>
    Jobs: { $jobs }
    Bids: { $bids }
    Deals: { $deals }
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
