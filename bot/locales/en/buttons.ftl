## Questions a button asks (bot/handlers/inputs.py): the next message is the answer.

input-ask-msg = ✉️ Write your message on Bid #{ $bid }: send it here as one message, and it goes to the other side of the bid as you wrote it.
input-ask-ask = ❓ What would you like to ask the client about Job #{ $job }? Send your question here as one message.
input-ask-trial = 🧪 Describe the trial task for Bid #{ $bid }: a small, unpaid proof of concept the freelancer does before you hire. Send it here as one message.
input-ask-revise = ✏️ What should change in the delivery of Deal #{ $deal }? Send it here as one message; the freelancer gets it with the request for changes.
input-ask-dispute = ⚠️ Why are you opening a dispute on Deal #{ $deal }? Send the reason here as one message: the moderators read it, and every timer of the deal stops.
input-ask-deliver = 📦 Send the work for Deal #{ $deal }: a note, or documents and photos (a caption is the note). Files sent right after it join the delivery.
input-ask-evidence = 📎 Send your side of the dispute on Deal #{ $deal }: text, a document or a photo. The moderators get it with the dispute.
input-cancel-hint = Or press Cancel (or send /cancel): nothing is sent.
input-btn-cancel = ✖ Cancel
input-cancelled = Cancelled; nothing was sent.
input-closed = That question is already answered or cancelled.
input-again = Send it again, or press Cancel.
input-text-only = Send it as a text message.
input-text-or-files = Send text, a document or a photo.

deal-btn-evidence = 📎 Add evidence

## Bids far outside a job's budget (bot/flows/bid.py).

bid-far-below = ⚠️ { $amount } is far below the budget of Job #{ $job } ({ $budget }): less than half of it. Place the bid at { $amount } anyway?
bid-far-above = ⚠️ { $amount } is far above the budget of Job #{ $job } ({ $budget }): more than twice of it. Place the bid at { $amount } anyway?
bid-btn-far-yes = Yes, bid { $amount }
bid-btn-far-no = No, change it
bid-far-dropped = No bid was placed on Job #{ $job }.

## /payout with no amount asks first.

payout-confirm-all = 💸 Withdraw your whole balance, { $amounts }? A moderator pays it outside the bot and marks it done.
payout-btn-all = Yes, withdraw it all
payout-btn-keep = No, keep it
payout-kept = Nothing was withdrawn.

## /repost (bot/flows/repost.py).

repost-intro = Job #{ $job } again, as a new job with every answer kept. Publish it as it is, or edit it first.
repost-deadline-moved = The old deadline has passed: it is { $deadline } now, as far ahead as it was when the job was posted.
err-payout-balance-changed = Your balance changed since you asked; send /payout again to see it.
err-args-repost = Usage: /repost &lt;job number&gt;
err-repost-not-ended = Only a closed or expired job can be posted again, and Job #{ $job } is neither.
