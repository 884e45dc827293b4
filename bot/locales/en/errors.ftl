## One sentence for every refusal (DomainError key `a.b_c` -> message `err-a-b-c`).
## These may be shown in a button's alert, which is plain text: no tags here.

error-internal = Something went wrong; nothing was changed.
error-after-commit = Your request went through, but I could not show you the result. /deals, /mybids or /myjobs shows where things stand.
button-expired = This button has expired.

## Arguments

err-args-number = Give the number as digits, for example 12.
err-args-link = This link is broken; /jobs lists the open jobs.
err-amount-invalid = The amount must be a whole number from { NUMBER($min, useGrouping: 0) } to { NUMBER($max, useGrouping: 0) }.
err-percent-invalid = The percentage must be a whole number from 0 to 100.
err-rating-invalid = The rating must be a whole number from 1 to 5.
err-duration-invalid = Write the time as a duration such as 12h, 3d or 2w (at most a year).
err-deadline-invalid = Write the deadline as a duration such as 3d or a date such as { $example }.
err-deadline-too-soon = The deadline must be at least { $min } away.
err-language-invalid = That language is not available; choose English or Russian.
err-user-ref-invalid = Name the person as @username or by their numeric user id.
err-message-length = A message must be from { $min } to { $max } characters long{ $length ->
        [0] .
       *[other] ; yours has { $length }.
    }
err-reason-required = Give a reason of { $min } to { $max } characters{ $length ->
        [0] .
       *[other] ; yours has { $length }.
    }

## People

err-user-not-found = There is no user { $user } here.
err-user-banned = You are banned from the marketplace, so you can't do this.
err-fav-already = User { $user } is already among your favourites.
err-fav-self = You can't add yourself to your favourites.
err-invite-self = You can't invite yourself to your own job.
err-profile-bio-too-long = The bio can be at most { $max } characters long; yours has { $length }.
err-profile-skills-too-long = The skills can be at most { $max } characters long; yours have { $length }.
err-profile-years-invalid = Years of experience must be a whole number from 0 to 99.
err-profile-portfolio-invalid = The portfolio must be up to 10 links starting with http:// or https://.
err-moderator-only = Only moderators can do this.
err-ban-already = User { $user } is already banned.
err-ban-not-banned = User { $user } is not banned.

## Jobs

err-job-not-found = There is no Job #{ $job }.
err-job-not-client = Only the client of Job #{ $job } can do this.
err-job-not-open = Job #{ $job } is closed for bids.
err-job-not-open-for-hire = Job #{ $job } is no longer open, so no bid on it can be accepted.
err-job-already-removed = Job #{ $job } has already been taken down.
err-job-title-length = The title must be from { $min } to { $max } characters long; yours has { $length }.
err-job-description-length = The description must be from { $min } to { $max } characters long; yours has { $length }.
err-job-brief-too-long = The private brief can be at most { $max } characters long; yours has { $length }.
err-job-nda-needs-brief = An NDA only makes sense with a private brief; add the brief first.
err-job-budget-invalid = The highest budget can't be below the lowest.
err-job-category-invalid = Choose one of the listed categories.
err-question-required = This answer is required.
err-question-int = The answer must be a whole number from { NUMBER($min, useGrouping: 0) } to { NUMBER($max, useGrouping: 0) }.
err-question-bool = Answer yes or no.
err-question-url = The answer must be a link starting with http:// or https://.
err-question-text = The answer can be at most { $max } characters long; yours has { $length }.
err-ask-own-job = You can't ask questions about your own Job #{ $job }.

## Bids

err-bid-not-found = There is no Bid #{ $bid }.
err-bid-not-client = Only the client of Job #{ $job } can accept bids.
err-bid-own-job = You can't bid on your own Job #{ $job }.
err-bid-not-active = Bid #{ $bid } is no longer active.
err-bid-not-owner = Bid #{ $bid } is not yours.
err-bid-not-withdrawable = Bid #{ $bid } can no longer be withdrawn.
err-bid-already-shortlisted = Bid #{ $bid } is already shortlisted.
err-bid-freelancer-banned = The author of Bid #{ $bid } is banned, so the bid can't be accepted.
err-bid-cover-too-long = The cover letter can be at most { $max } characters long; yours has { $length }.
err-bid-days-invalid = The delivery time must be a whole number of days from { $min } to { $max }.
err-brief-not-shortlisted = Only shortlisted freelancers can see the private brief of Job #{ $job }.
err-brief-nda-first = Accept the NDA of Job #{ $job } first to see its private brief.
err-nda-not-asked = Bid #{ $bid } has no NDA waiting for an answer.
err-nda-already-accepted = You already accepted the NDA for Bid #{ $bid }.
err-nda-already-declined = You declined the NDA for Bid #{ $bid }; that answer is final.
err-msg-not-party = Only the client and the author of Bid #{ $bid } can write in its thread.
err-message-not-found = That message can no longer be answered.
err-message-not-yours = You can only answer messages sent to you.

## Trials

err-trial-not-found = There is no Trial #{ $trial }.
err-trial-not-yours = Trial #{ $trial } was not asked of you.
err-trial-not-open = Trial #{ $trial } no longer waits for an answer.
err-trial-not-accepted = Trial #{ $trial } is not accepted, so nothing can be submitted for it.
err-trial-already-open = Bid #{ $bid } already has an open trial.
err-trial-not-shortlisted = Shortlist Bid #{ $bid } before asking for a trial.
err-trial-task-length = The trial task must be from { $min } to { $max } characters long; yours has { $length }.
err-trial-result-empty = Send the trial's result as text or files.
err-trial-result-too-long = The trial's result can be at most { $max } characters long; yours has { $length }.
err-trial-too-many-files = A trial's result can have at most { $max } files.

## Deals

err-deal-not-found = There is no Deal #{ $deal }.
err-deal-not-party = Deal #{ $deal } is not one of yours.
err-deal-changed = Deal #{ $deal } changed in the meantime; look at it again with /deal { $deal }.
err-storage-busy = Someone changed the same thing at the same moment, so nothing was done; please try again.
err-deal-bad-state = Deal #{ $deal } is { deal-state }, so this can't be done now.
err-deal-only-client = Only the client of Deal #{ $deal } can do this.
err-deal-only-client-release = Only the client of Deal #{ $deal } can release the money.
err-deal-only-freelancer = Only the freelancer of Deal #{ $deal } can do this.
err-deliver-note-too-long = The delivery note can be at most { $max } characters long; yours has { $length }.
err-deliver-no-open-delivery = Deal #{ $deal } has no delivery waiting for review to add files to.
err-revise-text-required = Say what to change, in { $min } to { $max } characters{ $length ->
        [0] .
       *[other] ; yours has { $length }.
    }
err-revise-limit = Deal #{ $deal } has used all { $max } revisions; release it or open a dispute.
err-cancel-already-requested = You already asked to cancel Deal #{ $deal }; the freelancer has not answered yet.
err-cancel-not-requested = Nobody asked to cancel Deal #{ $deal }.
err-refund-not-overdue = Deal #{ $deal } is not overdue, so it can't be refunded now.
err-log-hours-invalid = The hours must be a number above 0 and at most { $max }, such as 1.5.
err-log-not-running = Time can only be logged on a deal that was paid; Deal #{ $deal } was not.
err-dispute-reason-required = Give the reason for the dispute, in { $min } to { $max } characters{ $length ->
        [0] .
       *[other] ; yours has { $length }.
    }
err-dispute-none-open = Deal #{ $deal } has no open dispute.
err-dispute-evidence-empty = Send your side as text or files.
err-dispute-evidence-too-long = Your side can be at most { $max } characters long; yours has { $length }.
err-resolve-outcome-invalid = The decision must be release, refund or split.
err-rate-not-finished = Deal #{ $deal } has not ended yet, so it can't be rated.
err-rate-already = You already rated Deal #{ $deal }.

## Payments and payouts

err-payment-unknown = This payment does not belong to any deal here.
err-payment-not-client = Only the client of this deal can pay for it.
err-payment-not-awaiting = This deal no longer waits for payment.
err-payment-mismatch = The amount or currency does not match the deal.
err-payout-nothing = There is nothing on your balance to pay out.
err-payout-already-requested = There is nothing more to pay out: your { $amount } is already in Payout #{ $payout }, which waits for a moderator to pay it (see /balance).
err-payout-already-requested-many = There is nothing more to pay out: your money is already in { $count } payout requests, which wait for a moderator to pay them (see /balance).
err-payout-too-much = You can pay out at most { $available }.
err-payout-not-found = There is no Payout #{ $payout }.
err-payout-already-paid = Payout #{ $payout } is already marked paid.
err-payout-which-currency = Your balance is in several currencies ({ $currencies }): put the currency after the amount, like /payout 50 { $code }, or send /payout alone to withdraw everything.
err-currency-invalid = Name the currency by its code, like USD or EUR (XTR for Stars).
err-deal-currency-unpayable = Job #{ $job } is priced in { $currency }, and payments in { $currency } cannot be taken here right now, so no bid on it can be accepted.
err-job-budget-currency = Prices are now in { $currency }: please type the budget again.

## The deal commands' own arguments

err-dealcmd-usage-deal = Say which deal: /deal 5.
err-dealcmd-usage-deliver = Say which deal you deliver: /deliver 5, optionally followed by a note.
err-dealcmd-usage-release = Say which deal to release: /release 5.
err-dealcmd-usage-revise = Say which deal and what to change: /revise 5 make the logo bigger.
err-dealcmd-usage-extend = Say which deal and by how long: /extend 5 3d.
err-dealcmd-usage-canceldeal = Say which deal to cancel: /canceldeal 5.
err-dealcmd-usage-dispute = Say which deal and why: /dispute 5 nothing was delivered.
err-dealcmd-usage-log = Say which deal, how many hours and what was done: /log 5 1.5 the first draft.
err-dealcmd-usage-rate = Say which deal and how many stars from 1 to 5: /rate 5 5 great work.

## Deleting an account

err-account-deal-running = You can't delete your account while Deal #{ $deal } is running; finish or cancel it first.
err-account-balance = You can't delete your account while { $amount } is on your balance; withdraw it with /payout first.
err-account-payout-pending = You can't delete your account until Payout #{ $payout } is paid.
err-account-refund-pending = You can't delete your account until the refund for Deal #{ $deal } is settled.
# An answer lost in a restart (bot/services/lost_answers.py): the update was handled, its
# answer may never have left. The quote is what the person sent (cut short).
reply-lost-message = Your message “{ $said }” was received and done, but its answer was lost in a restart. /deals, /mybids or /myjobs shows where things stand.
reply-lost-button = Your press of “{ $said }” was received and done, but its answer was lost in a restart. /deals, /mybids or /myjobs shows where things stand.
reply-lost-payment = Your payment was received and recorded, but its answer was lost in a restart. /deals shows where things stand.
reply-lost-other = Your last action was received and done, but its answer was lost in a restart. /deals, /mybids or /myjobs shows where things stand.
