## Notifications (the outbox), the deal card and the deal commands' answers.
## Parameters ending in _at, and amounts, arrive already formatted.

## Shared pieces

notify-quote = <blockquote>{ $text }</blockquote>
notify-reason-line = Reason: { $reason }
notify-note-line = Note: { $note }
notify-answering = In reply to:
    <blockquote>{ $text }</blockquote>
notify-reply-hint = <i>Reply to this message to answer.</i>
notify-files-follow = { $files ->
        [one] 📎 1 file follows.
       *[other] 📎 { $files } files follow.
    }
notify-summary-freelancer = { $rating } · completed deals: { $completed } · member since { $since }
notify-summary-rating = ⭐ { $rating } ({ $count })
notify-summary-no-rating = no ratings yet
notify-rate-now = How did it go? Rate from 1 to 5 (with a comment: /rate { $deal } &lt;1-5&gt; &lt;comment&gt;).

## Jobs and bids

notify-job-live = ✅ Job #{ $job } is live: “{ $title }”. Bids will arrive in this chat.
notify-bid-new = 📩 New bid on Job #{ $job } “{ $title }”: Bid #{ $bid } from { $freelancer_name }, { $amount } in { $days ->
        [one] { $days } day
       *[other] { $days } days
    }.
notify-bid-updated = ✏️ { $freelancer_name } updated Bid #{ $bid } on Job #{ $job } “{ $title }”: now { $amount } in { $days ->
        [one] { $days } day
       *[other] { $days } days
    }.
notify-btn-view-bids = View bids
notify-bid-withdrawn = ↩️ { $freelancer_name } withdrew Bid #{ $bid } on Job #{ $job } “{ $title }”.
notify-bid-declined = Your Bid #{ $bid } on Job #{ $job } “{ $title }” was declined.
notify-job-filled = Job #{ $job } “{ $title }” went to another freelancer; your Bid #{ $bid } is closed.
notify-job-closed-bidder = The client closed Job #{ $job } “{ $title }”; your Bid #{ $bid } is closed.
notify-job-expired-bidder = Bidding on Job #{ $job } “{ $title }” ended without a hire; your Bid #{ $bid } is closed.
notify-job-removed-bidder = The moderators took down Job #{ $job } “{ $title }”; your Bid #{ $bid } is closed.
notify-job-removed-client = The moderators took down your Job #{ $job } “{ $title }”.
notify-job-removed-deal = Deal #{ $deal }, which waited for your payment, is called off; nothing was paid.
notify-job-expired-client = Bidding on your Job #{ $job } “{ $title }” ended without a hire. Post it again as it was with /repost { $job }.
notify-job-nudge = ⏰ Bidding on Job #{ $job } “{ $title }” closes { $ends_at }. You have { $bids ->
        [one] 1 bid
       *[other] { $bids } bids
    }; hire with /accept &lt;bid&gt;.
notify-shortlisted = ⭐ You are shortlisted for Job #{ $job } “{ $title }” (Bid #{ $bid }). Here is its private brief, for you only:
notify-shortlisted-no-brief = ⭐ You are shortlisted for Job #{ $job } “{ $title }” (Bid #{ $bid }). The client may ask you for a small trial or hire you.
notify-shortlisted-nda = ⭐ You are shortlisted for Job #{ $job } “{ $title }” (Bid #{ $bid }). The client asks you to accept a non-disclosure agreement before you see the private brief.
notify-nda-text = <b>The agreement:</b>
    <blockquote>{ $nda }</blockquote>
notify-btn-nda-accept = Accept the NDA
notify-btn-nda-decline = Decline
notify-brief = 🔒 <b>Private brief of Job #{ $job } “{ $title }”</b>
    <blockquote>{ $brief }</blockquote>
notify-brief-body = 🔒 <b>Private brief</b>
    <blockquote>{ $brief }</blockquote>
notify-nda-accepted = { $freelancer_name } accepted the NDA of Job #{ $job } (Bid #{ $bid }) and got the private brief.
notify-nda-declined = { $freelancer_name } declined the NDA of Job #{ $job } (Bid #{ $bid }).
notify-trial-requested = 🧪 The client of Job #{ $job } “{ $title }” asks for a small unpaid trial (Trial #{ $trial }) before hiring:
    <blockquote>{ $task }</blockquote>
notify-btn-trial-accept = Accept the trial
notify-btn-trial-decline = Decline
notify-trial-accepted = 🧪 { $freelancer_name } accepted Trial #{ $trial } (Bid #{ $bid }, Job #{ $job }).
notify-trial-declined = 🧪 { $freelancer_name } declined Trial #{ $trial } (Bid #{ $bid }, Job #{ $job }).
notify-trial-submitted = 🧪 { $freelancer_name } submitted Trial #{ $trial } (Bid #{ $bid }, Job #{ $job }).
notify-invited = 👋 { $client_name } invites you to bid on Job #{ $job } “{ $title }”.
notify-btn-bid = Bid
notify-question = ❓ Question about Job #{ $job } “{ $title }” from { $from_name }:
notify-message = 💬 { $from_name } about Job #{ $job } “{ $title }” (Bid #{ $bid }):
notify-message-nobid = 💬 { $from_name } about Job #{ $job } “{ $title }”:

## The jobs channel

channel-job =
    <b>{ $title }</b>
    Job #{ $job } · { $category } · budget { $budget }
    Wanted by { $deadline }

    { $description }
channel-budget-range = { $budget_min } – { $budget_max }
channel-job-open = 🟢 Open for bids until { $ends }.
channel-job-hiring = ⏳ A freelancer has been chosen; bidding is paused.
channel-job-filled = ✅ Filled: no longer taking bids.
channel-job-closed = ⛔ Closed: no longer taking bids.
channel-job-expired = ⌛ Expired: bidding has ended.
channel-job-removed = 🚫 This job was taken down.
channel-btn-bid = View and bid
channel-btn-view = View the job

## Deals

invoice-title = Deal #{ $deal }
invoice-description = Pay by { $due_at }. Job #{ $job } “{ $title }”: { $amount } held in escrow until you release it to the freelancer.
invoice-label = Deal #{ $deal } escrow
invoice-unpayable = Deal #{ $deal } is priced in { $currency }, and payments in { $currency } cannot be taken here right now, so there is no invoice to pay; the deal is cancelled when its funding window ends.
notify-hired-pending = 🎉 Your Bid #{ $bid } on Job #{ $job } “{ $title }” was accepted! Deal #{ $deal } ({ $amount }) now waits for the client's payment; you will be told when it is funded. Please don't start before that.
notify-payment-refunded = Deal #{ $deal } no longer waited for payment, so your payment of { $amount } goes back to you: { $how ->
        [stars] the refund is requested from Telegram, and you will get a message as soon as your Stars are back.
       *[other] it is set aside for you as Payout #{ $payout }, which a moderator pays out (see /balance); you will get a message when it is paid.
    }
notify-deal-funded-client = 💰 Payment received: Deal #{ $deal } is funded: { $amount } is held in escrow. Delivery is due { $due_at }. You will be told when the work is delivered.
notify-deal-funded-freelancer = 💰 Deal #{ $deal } for Job #{ $job } “{ $title }” is funded: { $amount } is held in escrow for you. Start now and deliver by { $due_at } with /deliver { $deal } [note].
notify-funding-expired-client = Deal #{ $deal } was cancelled: it was not paid in time. Job #{ $job } is open for bids again.
notify-funding-expired-freelancer = Deal #{ $deal } was cancelled: the client did not pay in time. Your bid on Job #{ $job } is active again.
notify-deal-cancelled-client = The freelancer cancelled Deal #{ $deal } before it was paid. Job #{ $job } “{ $title }” is open for bids again.
notify-deal-cancelled-freelancer = The client cancelled Deal #{ $deal } before it was paid; your bid on Job #{ $job } “{ $title }” is active again.
notify-deal-cancelled-removed = Deal #{ $deal } is called off: the moderators took down Job #{ $job } “{ $title }” before it was paid.
notify-delivered = 📦 Deal #{ $deal }: the work is delivered.
notify-delivered-review = Review it by { $review_ends_at }; after that the money is released to the freelancer automatically.
notify-delivery-files = { $files ->
        [one] 📎 One more file for the delivery of Deal #{ $deal }:
       *[other] 📎 { $files } more files for the delivery of Deal #{ $deal }:
    }
notify-review-nudge = ⏰ The review window of Deal #{ $deal } ends { $review_ends_at }; then the money is released automatically. Release it now, ask for changes, or open a dispute.
notify-revision = ✏️ The client asks for changes on Deal #{ $deal }:
notify-revision-due = New due time: { $due_at }. Revisions left: { $left }.
notify-extended = ⏳ The client gave you more time on Deal #{ $deal }: delivery is now due { $due_at }.
notify-delivery-nudge = ⏰ Deal #{ $deal } is due { $due_at }. Deliver with /deliver { $deal } [note].
notify-delivery-overdue-client = ⏰ Deal #{ $deal } is overdue: nothing was delivered. Unless the work arrives, you are refunded { $refund_at }. Give one more day, take the refund now, or wait.
notify-delivery-overdue-freelancer = ⏰ Deal #{ $deal } is overdue. Deliver with /deliver { $deal } before { $refund_at }, or the client is refunded.
notify-cancel-requested = The client asks to cancel Deal #{ $deal } and get { $amount } back. Confirm to refund the client, or refuse and keep working.
notify-cancel-refused-client = The freelancer refused to cancel Deal #{ $deal }; the deal goes on. If you can't agree, open a dispute with /dispute { $deal } &lt;reason&gt;.
notify-cancel-refused-freelancer = You refused to cancel Deal #{ $deal }; the deal goes on. If you can't agree, open a dispute with /dispute { $deal } &lt;reason&gt;.
notify-released-freelancer = ✅ Deal #{ $deal } is complete: { $paid } went to your balance (platform fee { $fee }). See /balance; withdraw with /payout.
notify-released-client-manual = ✅ Deal #{ $deal } is complete: { $amount } was released to the freelancer.
notify-released-client-auto = ✅ The review window of Deal #{ $deal } ended, so { $amount } was released to the freelancer automatically.
notify-refunded-client = ↩️ Deal #{ $deal } is { $how ->
        [stars] cancelled
       *[other] refunded
    }: { $why ->
        [freelancer_cancelled] the freelancer cancelled it
        [cancel_confirmed] the freelancer agreed to cancel
        [overdue] you took the refund of the overdue work
        [not_delivered] nothing was delivered in time
       *[other] it was cancelled
    }. { $how ->
        [stars] The refund of { $amount } is requested from Telegram; you will get a message as soon as your Stars are back.
       *[other] { $amount } is set aside for you as Payout #{ $payout }, which a moderator pays out (see /balance); you will get a message when it is paid.
    }
notify-refunded-freelancer = ↩️ Deal #{ $deal } is refunded to the client: { $why ->
        [freelancer_cancelled] you cancelled it
        [cancel_confirmed] you agreed to cancel
        [overdue] the client took the refund of the overdue work
        [not_delivered] nothing was delivered in time
       *[other] it was cancelled
    }.
notify-dispute-opened-other = ⚠️ { $by_name } opened a dispute on Deal #{ $deal } (Job #{ $job } “{ $title }”):
notify-dispute-respond = Every timer of the deal is paused and the moderators have been called in; your side is expected by { $respond_at }. Reply to this message with your side (text or files), or send /evidence { $deal } &lt;what happened&gt;.
notify-dispute-opened-self = ⚠️ Your dispute on Deal #{ $deal } is open. Every timer of the deal is paused; the moderators will decide and both of you will be told. To add evidence, reply to this message with text or files, or send /evidence { $deal } &lt;text&gt;.
notify-resolved-client = ⚖️ The moderators decided Deal #{ $deal }: { $outcome ->
        [release] the money goes to the freelancer.
        [refund] { $back } goes back to you{ $how ->
            [stars] : the refund is requested from Telegram, and you will get a message as soon as your Stars are back.
           *[other] : it is set aside for you as Payout #{ $payout }, which a moderator pays out (see /balance); you will get a message when it is paid.
        }
       *[split] split, { $percent }% to the freelancer; { $back } comes back to you{ $how ->
            [stars] : the refund is requested from Telegram, and you will get a message as soon as your Stars are back.
           *[other] : it is set aside for you as Payout #{ $payout }, which a moderator pays out (see /balance); you will get a message when it is paid.
        }
    }
notify-resolved-freelancer = ⚖️ The moderators decided Deal #{ $deal }: { $outcome ->
        [release] { $paid } went to your balance (platform fee { $fee }).
        [refund] the client is refunded.
       *[split] split, { $percent }% to you: { $paid } went to your balance (platform fee { $fee }).
    }
notify-feedback-request = ⭐ How did Deal #{ $deal } go? Rate { $other_name } from 1 to 5 (with a comment: /rate { $deal } &lt;1-5&gt; &lt;comment&gt;).
notify-feedback-received = ⭐ { $other_name } rated Deal #{ $deal }. Rate them too to see it; both ratings become visible together.
notify-feedback-revealed = ⭐ Both sides rated Deal #{ $deal }.
notify-feedback-stars = You got { $stars }/5 from them.
notify-refund-confirmed = ✅ Telegram returned { $amount } from Deal #{ $deal } to your Stars balance: your refund is complete.
notify-refund-failed = ⚠️ Telegram did not return your { $amount } from Deal #{ $deal }. The money is not lost: it is set aside for you as Payout #{ $payout }, which a moderator pays out (see /balance); you will get a message when it is paid.
notify-payout-paid = 💸 Payout #{ $payout } of { $amount } was paid.
notify-banned = ⛔ You are banned from the marketplace: { $reason }. Running deals go on.
notify-unbanned = ✅ Your ban was lifted.

## The moderator group

dispute-card-title = ⚖️ <b>Dispute on Deal #{ $deal }</b> · Job #{ $job } “{ $title }”
dispute-card-amount = Amount: { $amount } · the deal was { deal-state }
dispute-card-opened = Opened by { $name }, { $opened_at }
dispute-card-client = Client: { $name } (id { $user }) · completed deals: { $completed } · member since { $since } · disputes: { $disputes } (lost { $lost })
dispute-card-freelancer = Freelancer: { $name } (id { $user }) · completed deals: { $completed } · member since { $since } · disputes: { $disputes } (lost { $lost })
dispute-card-reason = <b>Reason</b>
    <blockquote>{ $reason }</blockquote>
dispute-card-timeline = <b>Timeline</b>
dispute-card-resolve-hint = For any other split: /resolve { $deal } split &lt;percent to the freelancer&gt; [note]
dispute-card-decided = ✅ <b>Decided by { $name }</b>, { $resolved_at }: { $outcome ->
        [release] released to the freelancer.
        [refund] refunded to the client.
       *[split] split, { $percent }% to the freelancer.
    }
dispute-btn-release = Release to freelancer
dispute-btn-refund = Refund client
dispute-btn-split = Split 50/50
mod-evidence = 📎 Evidence on Deal #{ $deal } from { $by_name }:
mod-sla-reminder = ⏰ The dispute on Deal #{ $deal } has been open since { $opened_at } and still waits for a decision.
mod-refund-failed = ⚠️ Telegram refused the refund of { $amount } to { $user_name } (id { $user }) for Deal #{ $deal }: { $error }. It is credited to their balance as Payout #{ $payout }: pay it outside the bot, then mark it with /paid { $payout }.
mod-payout-requested = 💸 Payout #{ $payout }: { $user_name } (id { $user }) asks for { $amount }. Pay it outside the bot, then mark it with /paid { $payout }.

## The deal card

deal-state = { $state ->
        [awaiting_funding] awaiting payment
        [funded] funded, work in progress
        [delivered] delivered, in review
        [disputed] in dispute
        [released] released
        [refunded] refunded
        [split] split by the moderators
        [cancelled] cancelled
       *[other] { $state }
    }
deal-card-title = 🤝 <b>Deal #{ $deal }</b> · Job #{ $job } “{ $title }”
deal-card-state = State: <b>{ deal-state }</b>
deal-card-parties = Client: { $client } · Freelancer: { $freelancer }
deal-card-you = { $role ->
        [client] You are the client.
       *[freelancer] You are the freelancer.
    }
deal-card-amount = Amount: { $amount } · { $days ->
        [one] { $days } day
       *[other] { $days } days
    } to deliver
deal-card-funding-ends = Payment expected by { $at }
deal-card-funded = Funded { $at }
deal-card-due = Delivery due { $at }
deal-card-delivered = Delivered { $at }
deal-card-review-ends = Review ends { $at }
deal-card-cancel-requested = The client asked to cancel { $at }
deal-card-ended = Ended { $at }
deal-card-revisions = Revisions used: { $used } of { $max }
deal-card-dispute = ⚠️ Dispute opened by { $by }, { $at }: { $reason }
deal-card-dispute-decided = Decided { $at }: { $outcome ->
        [release] released to the freelancer
        [refund] refunded to the client
       *[split] split, { $percent }% to the freelancer
    }
deal-card-time-title = ⏱ <b>Time logged:</b> { $hours } h
deal-card-time-people = { $people }
deal-card-time-week = week of { $week }: { $people }
deal-card-time-person = { $name } { $hours } h
deal-card-rating = ⭐ { $name } rated { $stars }/5
deal-card-rating-mine = ⭐ Your rating: { $stars }/5
deal-card-rating-comment = “{ $comment }”
deal-card-hint-freelancer-funded = Deliver with /deliver { $deal } [note], then send the files.
deal-card-hint-client-funded = Log time with /log { $deal } &lt;hours&gt; &lt;note&gt;; more time with /extend { $deal } &lt;duration&gt;.
deal-card-hint-client-delivered = Release the money, or ask for changes with /revise { $deal } &lt;what to change&gt;.
deal-card-hint-client-unfunded = Pay the invoice above to start the deal.
deal-event-line = { $at } · { $kind ->
        [hired] bid accepted
        [pay] paid into escrow
        [delivery] delivered
        [delivery_file] file added to the delivery
        [revision] changes requested
        [extend] deadline extended
        [cancel_requested] cancel requested
        [cancel_refused] cancel refused
        [dispute] dispute opened
        [evidence] evidence added
        [mod_note] a moderator's note
        [resolved] decided by a moderator
        [release] released
        [auto_release] released automatically
        [cancel] cancelled and refunded
        [auto_refund] refunded automatically
        [funding_expired] not paid in time
        [cancel_unfunded] cancelled before payment
        [reviewer_added] QA reviewer added
        [verdict_pass] reviewer: passes
        [verdict_changes] reviewer: changes needed
       *[other] { $kind }
    }
deal-event-by = { $who }
deal-event-text = “{ $text }”
deal-event-files = { $files ->
        [one] 1 file
       *[other] { $files } files
    }
deal-history-events = <b>History</b>
deal-history-file = 📎 { $kind }: { $name } <code>{ $file }</code>
deal-history-messages = <b>Messages before the hire</b>
deal-history-message = { $at } · { $who }: { $text }
deal-btn-release = ✅ Release
deal-btn-revise = ✏️ Request changes
deal-btn-dispute = ⚠️ Dispute
deal-btn-deliver = 📦 Deliver
deal-btn-extend-1d = ⏳ Extend 1 day
deal-btn-refund-now = ↩️ Refund now
deal-btn-wait = Wait
deal-btn-cancel-yes = Confirm the cancel
deal-btn-cancel-no = Refuse
deal-btn-cancel-deal = Cancel the deal
deal-btn-cancel-refund = Cancel and refund the client
deal-btn-cancel-confirm = Yes, cancel
deal-btn-release-confirm = Yes, release
deal-btn-keep = No, keep it
deal-btn-refresh = 🔄 Refresh
deal-btn-deal = Deal #{ $deal }

## Deal commands

deals-empty = You have no deals yet. A deal starts when a client accepts a bid.
deals-title = <b>Your deals ({ $count })</b>
deals-line = Deal #{ $deal } · “{ $title }” · { $amount } · { deal-state } · { $role ->
        [client] you hire
       *[freelancer] you work
    }
deal-deliver-done = 📦 Deal #{ $deal } is delivered{ $files ->
        [0] {""}
        [one] {" "}with 1 file
       *[other] {" "}with { $files } files
    }. The client reviews it until { $review_ends }. Files you send in the next few minutes are added to this delivery.
deal-deliver-files-attached = 📎 { $files ->
        [one] The file is
       *[other] { $files } files are
    } added to the delivery of Deal #{ $deal }; the client gets { $files ->
        [one] it
       *[other] them
    }.
deal-deliver-files-hint = To deliver files, send /deliver &lt;deal&gt; [note] first and the files right after it, or reply to a file with /deliver &lt;deal&gt;.
deal-revise-done = ✏️ Changes requested on Deal #{ $deal } (revision { $used } of { $max }). Delivery is now due { $due }.
deal-extend-done = ⏳ Deal #{ $deal }: delivery is now due { $due }.
deal-log-done = ⏱ { $hours } h logged on Deal #{ $deal }.
deal-release-confirm = Release { $amount } of Deal #{ $deal } to { $freelancer }? This can't be undone.
deal-release-done = ✅ Deal #{ $deal } is complete: { $amount } was released to the freelancer. How did it go? Rate from 1 to 5.
deal-nothing-changed = Nothing was changed.
deal-canceldeal-cancelled = Deal #{ $deal } is cancelled; nothing was paid.
deal-canceldeal-refunded = Deal #{ $deal } is cancelled and the client is refunded.
deal-canceldeal-requested = The freelancer is asked to confirm cancelling Deal #{ $deal }; you will be told the answer.
deal-canceldeal-confirm-unfunded = Cancel Deal #{ $deal }? It has not been paid yet.
deal-canceldeal-confirm-client = Ask the freelancer to cancel Deal #{ $deal }? If they agree, { $amount } comes back to you.
deal-canceldeal-confirm-freelancer = Cancel Deal #{ $deal }? The client is refunded { $amount } at once.
deal-cancel-answer-refunded = You confirmed: Deal #{ $deal } is cancelled and the client is refunded.
deal-cancel-answer-refused = You refused to cancel Deal #{ $deal }; the deal goes on and the client is told. If you can't agree, open a dispute with /dispute { $deal } &lt;reason&gt;.
deal-refundnow-done = ↩️ Deal #{ $deal } is cancelled. { $how ->
        [stars] The refund of { $amount } is requested from Telegram; you will get a message as soon as your Stars are back.
       *[other] { $amount } is set aside for you as Payout #{ $payout }, which a moderator pays out (see /balance); you will get a message when it is paid.
    }
deal-wait-ok = OK. Deal #{ $deal } stays open; if nothing is delivered it is refunded automatically.
deal-dispute-opened = ⚠️ Dispute opened on Deal #{ $deal }. Every timer of the deal is paused; the moderators will decide and both of you will be told. To add evidence, send /evidence { $deal } &lt;text&gt;, or a file with the caption /evidence { $deal }.
deal-rate-done-both = ⭐ Thank you: you gave Deal #{ $deal } { $stars }/5. Both ratings are now visible.
deal-rate-done-wait = ⭐ Thank you: you gave Deal #{ $deal } { $stars }/5. It is shown when the other side rates too, or when the feedback window ends.

## Payments

payment-funded = 💰 Payment received: Deal #{ $deal } is funded: { $amount } is held in escrow. Delivery is due { $due }. You will be told when the work is delivered.
payment-duplicate = This payment was already applied; nothing changed.
payment-refunded = Deal #{ $deal } no longer waits for payment, so your { $amount } goes back to you: { $how ->
        [stars] the refund is requested from Telegram, and you will get a message as soon as your Stars are back.
       *[other] it is set aside for you as Payout #{ $payout }, which a moderator pays out (see /balance).
    }
