## Direct offers and QA reviewers (issue 14).

## Direct offers

btn-offer = ✉️ Offer a contract
offer-btn-accept = ✅ Accept
offer-btn-decline = ✖ Decline
offer-how = To send { $who } a direct offer, press the button below, or write in one message: <code>/offer { $who } amount days Title | Description</code>
offer-how-propose = To propose a contract to { $who }, write in one message: <code>/propose { $who } amount days Title | Description</code>
offer-sent = ✉️ Offer #{ $offer } ({ $amount }) is sent. It waits for an answer until { $expires_at }.
offer-received-client = ✉️ { $from_name } offers you a contract without a public job: Offer #{ $offer } “{ $title }”, { $amount }, delivery in { $days } days.
offer-received-proposal = ✉️ { $from_name }, who worked for you, proposes the next contract: Offer #{ $offer } “{ $title }”, { $amount }, delivery in { $days } days. Accepting it sends you the invoice.
offer-answer-by = Answer by { $expires_at }; after that the offer lapses.
offer-accept-done = You accepted Offer #{ $offer }: Deal #{ $deal } is created and awaits the client's payment.
offer-decline-done = You declined Offer #{ $offer }.
offer-accepted-client = ✅ { $to_name } accepted Offer #{ $offer } “{ $title }”: Deal #{ $deal } is created; pay the invoice to start it.
offer-accepted-freelancer = ✅ { $to_name } accepted your proposal, Offer #{ $offer } “{ $title }”: Deal #{ $deal } now waits for their payment. Please don't start before it is funded.
offer-declined = { $to_name } declined Offer #{ $offer } “{ $title }”.
offer-lapsed-sender = ⌛ Offer #{ $offer } “{ $title }” to { $to_name } lapsed without an answer.
offer-lapsed-recipient = ⌛ Offer #{ $offer } “{ $title }” from { $from_name } lapsed: it was not answered in time.
offers-empty = You have no direct offers yet. /offer @username sends one.
offers-title = Your direct offers ({ $count }):
offers-line = Offer #{ $offer } “{ $title }” · { $amount } · { $state ->
        [pending] waiting for an answer
        [accepted] accepted, Deal #{ $deal }
        [declined] declined
       *[lapsed] lapsed
    }
notify-funding-expired-private-client = Deal #{ $deal } was cancelled: it was not paid in time. Send a new offer with /offer when you are ready.
notify-funding-expired-private-freelancer = Deal #{ $deal } was cancelled: the client did not pay in time.
notify-deal-cancelled-private-client = The freelancer cancelled Deal #{ $deal } “{ $title }” before it was paid.
notify-deal-cancelled-private-freelancer = The client cancelled Deal #{ $deal } “{ $title }” before it was paid.

err-offer-usage = Write the offer as /offer @username amount days Title | Description; by the hour, a rate and a weekly limit instead (20/h 10); in milestones, a plan at the end (| Sketch = 100; Final = 200).
err-offer-usage-propose = Write the proposal as /propose @username amount days Title | Description; by the hour, a rate and a weekly limit instead (20/h 10); in milestones, a plan at the end (| Sketch = 100; Final = 200).
err-offer-not-found = There is no Offer #{ $offer }.
err-offer-self = You can't send an offer to yourself.
err-offer-banned = { $name } is banned, so they can't take offers.
err-offer-not-past-client = You can propose a contract only to a client you have worked for, and { $name } is not one.
err-offer-own = You sent Offer #{ $offer }, so only the other person can answer it.
err-offer-not-yours = Offer #{ $offer } was not sent to you.
err-offer-accepted = Offer #{ $offer } is already accepted: it is Deal #{ $deal }.
err-offer-declined = Offer #{ $offer } was declined, so it can't be accepted any more.
err-offer-lapsed = Offer #{ $offer } has lapsed: it was not answered in time.
err-offer-sender-gone = The person who sent Offer #{ $offer } can't make contracts any more, so it can't be accepted.
err-offer-currency-unpayable = Offer #{ $offer } is priced in { $currency }, which can't be paid here right now.

## QA reviewer

reviewer-added = { $name } is now the QA reviewer of Deal #{ $deal }: they see its brief and every delivery, and their verdict reaches you beside the Release button.
verdict-sent = Your verdict on Deal #{ $deal } is sent to the client.
review-added = 🔎 { $client_name } added you as the QA reviewer of Deal #{ $deal } “{ $title }”. You see its brief and every delivery and give your verdict; the money and the deal's actions stay with its two parties.
review-brief = Private brief: { $brief }
review-how = Open it with /deal { $deal }; give your verdict with the buttons of a delivery or /verdict { $deal } pass|changes notes (as a file's caption to attach it).
review-added-freelancer = 🔎 The client added { $user_name } as the QA reviewer of Deal #{ $deal }: they see the brief and your deliveries, and give the client their verdict.
review-delivered = 📦 Deal #{ $deal } “{ $title }” has a delivery to review{ $files ->
        [0] .
        [one] (one file follows).
       *[other] ({ $files } files follow).
    }
review-btn-pass = ✅ Passes
review-btn-changes = ✏️ Changes needed
review-verdict-pass = 🔎 { $user_name }, the QA reviewer of Deal #{ $deal }: ✅ the delivery passes.
review-verdict-changes = 🔎 { $user_name }, the QA reviewer of Deal #{ $deal }: ✏️ changes are needed.
review-ended = Deal #{ $deal } has ended, and with it your review: you no longer have access to it.
deal-card-reviewer = 🔎 QA reviewer: { $name }
deal-card-verdict-pass = Verdict ({ $at }): ✅ passes
deal-card-verdict-changes = Verdict ({ $at }): ✏️ changes needed
deal-card-verdict-notes = Notes: “{ $notes }”

err-reviewer-usage = Write it as /reviewer deal @username, for example /reviewer 5 @anna.
err-reviewer-deal-ended = Deal #{ $deal } has ended, so it can't get a reviewer.
err-reviewer-self = You can't be the reviewer of your own deal.
err-reviewer-freelancer = The freelancer of Deal #{ $deal } can't review their own work.
err-reviewer-banned = { $name } is banned, so they can't review a deal.
err-reviewer-already = Deal #{ $deal } already has a QA reviewer.
err-reviewer-read-only = As the QA reviewer of Deal #{ $deal } you can read it and give a verdict, but its money and actions belong to its client and freelancer.
err-reviewer-ended = Deal #{ $deal } has ended, and your review with it.
err-verdict-usage = Write the verdict as /verdict deal pass or /verdict deal changes, then your notes.
err-verdict-notes-too-long = Notes can be at most { $max } characters; yours have { $length }.
err-verdict-too-many-files = A verdict can carry at most { $max } files.
err-verdict-nothing-delivered = Deal #{ $deal } has no delivery waiting for the client, so there is nothing to give a verdict on.
input-ask-offer = ✉️ Write your offer as one message: amount, days, then the title and the description, for example <code>150 5 Logo for my café | A vector logo in two colours, with the source files.</code>
btn-offer-to = ✉️ Offer { $name } a contract
offer-received-client-hourly = ✉️ { $from_name } offers you an hourly contract without a public job: Offer #{ $offer } “{ $title }”, { $amount } an hour.
offer-received-proposal-hourly = ✉️ { $from_name }, who worked for you, proposes the next contract, by the hour: Offer #{ $offer } “{ $title }”, { $amount } an hour. Accepting it sends you the first week's invoice.
offer-terms-hourly = At most { $hours } hours a week; the client funds each week's limit when the week starts (Monday 00:00 UTC).
offer-terms-milestones = Paid in { $count } milestones, funded one at a time:
offer-terms-milestone = { $number }. { $title }: { $amount }
err-offer-hourly-plan = An hourly offer has no milestones: write either a rate such as 20/h with a weekly limit, or an amount with a plan.
input-ask-propose = ✉️ Write your proposal for the next contract as one message: amount, days, then the title and the description, for example <code>150 5 Logo for my café | A vector logo in two colours, with the source files.</code> (by the hour: <code>20/h 10 Title | Description</code>)
deal-btn-offer-again = ✉️ Offer a new contract
deal-btn-propose-next = ✉️ Propose the next contract
err-offer-plan-sum = The milestones add up to { $amount }, but the offer is { $total }: they must add up to it exactly.
