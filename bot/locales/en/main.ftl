### Browsing and everyday commands: /start, /help, /language, jobs, bids, people, messages.
### Every $name, $title, $text, $query, $url is what a person typed: the code escapes it.

## The command menu (setMyCommands)

cmd-start = Start: what this bot does
cmd-help = All commands
cmd-post = Post a job
cmd-jobs = Browse open jobs
cmd-myjobs = My jobs and their bids
cmd-mybids = My bids
cmd-alerts = Job alerts for new jobs
cmd-deals = My deals
cmd-balance = My balance
cmd-profile = My profile
cmd-editprofile = Edit my profile
cmd-payout = Withdraw my balance
cmd-language = Change the language
cmd-cancel = Leave the current step
cmd-mydata = Everything stored about me, as a file
cmd-deleteaccount = Delete my account

## Everyone

start-welcome =
    Welcome to the marketplace, { $name }!

    <b>Need work done?</b> Post a job with /post, compare the bids with /bids, hire with one tap. Your money waits in escrow until you approve the work.
    <b>Looking for work?</b> Browse /jobs, open a job and bid on it; you are paid when the client approves your delivery.

    /help lists every command.
help-text =
    <b>Everyone</b>
    /start · /help · /cancel · /language
    /profile [@username|user id] · /editprofile
    /balance · /payout [amount]
    /mydata: everything stored about you · /deleteaccount

    <b>Clients</b>
    /post: post a job
    /myjobs: your jobs with their bids
    /bids &lt;job&gt; [price|rating|experience]: the bids on a job
    /shortlist &lt;bid&gt; · /trial &lt;bid&gt; &lt;task&gt;
    /accept &lt;bid&gt;: hire (a deal and an invoice)
    /decline &lt;bid&gt; [reason] · /closejob &lt;job&gt;
    /repost &lt;job&gt;: a closed or expired job again, every answer kept
    /invite &lt;@username|user id&gt; &lt;job&gt;
    /fav &lt;@username|user id&gt; · /favs
    /addmilestone &lt;deal&gt; Title = amount: one more milestone (the freelancer accepts it)
    /offer &lt;@username&gt; [amount days title | description]: a direct offer, without a public job · /offers
    /reviewer &lt;deal&gt; &lt;@username&gt;: add a QA reviewer to a contract

    <b>Freelancers</b>
    /jobs [category or words]: open jobs
    /job &lt;job&gt;: a job's card
    /bid &lt;job&gt; [amount days cover letter]
    /bid &lt;job&gt; &lt;rate&gt;/h &lt;hours a week&gt; &lt;cover letter&gt;: an hourly bid (/bid 12 20/h 10 …)
    /mybids · /withdraw &lt;bid&gt;
    /milestones &lt;bid&gt; Title = amount; Title = amount: be paid in up to 10 milestones adding up to the bid, funded one at a time (the client may edit them before hiring)
    /propose &lt;@username&gt; amount days title | description: the next contract, to a past client
    /alerts: job alerts, new jobs that match your searches (at once or a daily digest)
    In any chat: type @ and the bot's name, then words, to share open jobs (inline mode)

    <b>Both sides</b>
    /ask &lt;job&gt; &lt;question&gt; · /msg &lt;bid&gt; &lt;text&gt; (reply to a relayed message to answer it)
    /deals · /deal &lt;deal&gt;
    /deliver &lt;deal&gt; [note] · /release &lt;deal&gt;
    /revise &lt;deal&gt; &lt;what to change&gt; · /extend &lt;deal&gt; &lt;duration&gt;
    /canceldeal &lt;deal&gt; · /dispute &lt;deal&gt; &lt;reason&gt;
    /evidence &lt;deal&gt; &lt;text&gt;: your side of a dispute (or reply to the dispute message with text or files)
    /log &lt;deal&gt; &lt;hours&gt; &lt;note&gt; · /rate &lt;deal&gt; &lt;1-5&gt; [comment]
    Hourly contracts (weeks from Monday 00:00 UTC): the client funds each week's limit; /log the week's time, /edithours &lt;entry&gt; &lt;hours&gt; [note] until Monday 12:00 UTC; the client then has until Friday 23:59 UTC to /approve &lt;deal&gt; or /dispute; /canceldeal ends the contract
    /verdict &lt;deal&gt; pass|changes [notes]: a QA reviewer's verdict (as a file's caption, with the file)

    Numbers are bare: /accept 34 for Bid #34.
cancel-nothing = Nothing to cancel.
language-choose = Choose your language:
language-name-en = English
language-name-ru = Русский
language-set = The bot now speaks English.
unknown-command = I don't know that command; /help lists them all.
plain-text-hint = I answer commands only; /help lists them.

## Lists

when-just-now = just now

page-number = Page { $page }
rating = ★ { $avg } ({ $count ->
        [one] { $count } review
       *[other] { $count } reviews
    })
rating-none = no ratings yet
person-name = { $name }
person-name-username = { $name } (@{ $username })
summary-line = { $rating } · { $done ->
        [one] { $done } job done
       *[other] { $done } jobs done
    } · member since { $since }

## Jobs

job-state-open = open for bids
job-state-hiring = hiring
job-state-in-progress = in progress
job-state-completed = completed
job-state-closed = closed
job-state-expired = expired
job-state-removed = taken down
job-card-title = <b>Job #{ $job }</b> · <b>{ $title }</b>
job-card-category = Category: { $category }
job-card-budget = Budget: { $budget }
job-card-deadline = Deadline: { $deadline }
job-card-client = Client: { $name }, { $rating }
job-card-bids = { $count ->
        [0] No bids yet
        [one] { $count } bid
       *[other] { $count } bids
    }
job-card-state = State: { $state }
job-card-nda = Shortlisted freelancers accept an NDA before they see the private brief.
job-card-description = { $text }
job-card-details = <b>Details</b>
job-card-answer = • { $question } <i>{ $answer }</i>
job-card-files = 📎 { $count ->
        [one] One file
       *[other] { $count } files
    }: { $names }
job-card-file-photo = a photo
job-card-file-other = a file
job-card-brief-client = 🔒 <b>Private brief</b> (only you and the freelancers you shortlist see it):
    { $text }
job-card-brief-shortlisted = 🔒 <b>Private brief</b> (you see it as a shortlisted freelancer):
    { $text }
job-btn-files = 📎 Files ({ $count })
job-btn-bid = Bid
job-btn-ask = Ask
job-btn-bids = Bids ({ $count })
jobs-head = <b>Open jobs</b>, newest first:
jobs-head-filtered = <b>Open jobs</b> matching “{ $query }”, newest first:
jobs-empty = No open jobs right now. Clients post new ones every day: try again later.
jobs-empty-filtered = No open jobs match “{ $query }”. Try other words, or /jobs for all of them.
jobs-line = <b>Job #{ $job }</b> · { $title }
    { $category } · { $budget }
btn-job = #{ $job }
myjobs-head = <b>Your jobs</b>:
myjobs-empty = You have not posted a job yet; /post starts one.
myjobs-line = <b>Job #{ $job }</b> · { $title } · { $state } · { $count ->
        [one] { $count } bid
       *[other] { $count } bids
    }
btn-job-bids = Bids on #{ $job } ({ $count })
job-closed = Job #{ $job } is closed for new bids; running deals are not touched.

## Bids

bid-state-active = active
bid-state-accepted = accepted
bid-state-declined = declined
bid-state-withdrawn = withdrawn
bids-head = <b>Bids on Job #{ $job }</b> · { $title }
bids-sorted = Sorted by { $sort }.
bids-sort-price = price
bids-sort-rating = rating
bids-sort-experience = experience
bids-empty = No bids on Job #{ $job } ({ $title }) yet.
bid-line = <b>Bid #{ $bid }</b> · { $name } · { $amount } in { $days ->
        [one] { $days } day
       *[other] { $days } days
    }
bid-cover = <i>{ $text }</i>
bid-mark-hired-before = ✔ hired before
bid-mark-shortlisted = ☆ shortlisted
bid-mark-nda = 🔏 NDA accepted { $at }
btn-shortlist = Shortlist #{ $bid }
btn-message = Message #{ $bid }
btn-trial = Trial #{ $bid }
btn-accept = Accept #{ $bid }
btn-decline = Decline #{ $bid }
bid-shortlisted = Bid #{ $bid } is shortlisted; { $gets ->
        [brief] the freelancer gets the private brief of Job #{ $job }.
        [nda] the freelancer is asked to accept the NDA of Job #{ $job }, then gets its private brief.
       *[nothing] the freelancer is told.
    }
deal-created = Deal #{ $deal } created; pay the invoice below by { $due } to fund it.
bid-declined = Bid #{ $bid } is declined; the freelancer is told.
trial-requested = Trial #{ $trial } is sent to the freelancer of Bid #{ $bid }.
mybids-head = <b>Your bids</b>:
mybids-empty = You have no bids yet; find work with /jobs.
mybids-line = <b>Bid #{ $bid }</b> on Job #{ $job } · { $title } · { $amount }, { $days ->
        [one] { $days } day
       *[other] { $days } days
    } · { $state }
bid-withdrawn = Bid #{ $bid } on Job #{ $job } is withdrawn.
nda-accepted = You accepted the NDA of Job #{ $job } “{ $title }”; the client is told.
nda-declined = You declined the NDA of Job #{ $job }; the client is told.
trial-accepted = You took on Trial #{ $trial }; the client is told. When the result is ready, press “Submit result” on the trial above and send it.
trial-declined = You declined Trial #{ $trial }; the client is told.
trial-submit-how = Send the result of Trial #{ $trial } as text messages, documents or photos, then press Done.
btn-trial-submit = 📤 Submit result
trial-submit-ask = 📤 <b>The result of Trial #{ $trial }</b>
    <blockquote>{ $task }</blockquote>
    Send the result now: text messages, documents or photos, as many as you need. Press Done when everything is sent; the client gets it all at once.
trial-submit-got = 📥 Trial #{ $trial } so far: { $texts ->
        [one] { $texts } text
       *[other] { $texts } texts
    }, { $files ->
        [one] { $files } file
       *[other] { $files } files
    }. Send more, or press Done to send it to the client.
trial-submit-done = 🧪 The result of Trial #{ $trial } is sent to the client{ $files ->
        [0] .
        [one] , with { $files } file.
       *[other] , with { $files } files.
    }
trial-submit-cancelled = Nothing was sent for Trial #{ $trial }; press “Submit result” again when it is ready.
bid-trial = 🧪 Trial #{ $trial } · { $state }: <i>{ $task }</i>
bid-trial-state = { $state ->
        [requested] waiting for the freelancer
        [accepted] in progress
        [declined] declined
       *[submitted] result submitted
    }
bid-trial-result = Result: <i>{ $text }</i>
bid-trial-files = 📎 { $count ->
        [one] { $count } file
       *[other] { $count } files
    }, sent to you with the result.
btn-trial-result = 🧪 Trial #{ $trial } result
trial-view-head = <b>Trial #{ $trial }</b> · Bid #{ $bid } · Job #{ $job }

## People

profile-title = <b>{ $name }</b> · user { $user }
profile-banned = ⛔ Banned.
profile-bio = { $text }
profile-skills = Skills: { $text }
profile-years = Experience: { $years ->
        [one] { $years } year
       *[other] { $years } years
    }
profile-portfolio = Portfolio:
    { $links }
profile-link = • { $url }
profile-since = Member since { $since }
profile-deals = Completed deals: { $count }
profile-rating = Rating: { $rating }
profile-disputes-lost = Disputes lost: { $count }
profile-reviews-head = <b>Latest reviews</b>
profile-review = { $stars } { $date }: { $text }
profile-review-bare = { $stars } { $date }
profile-empty-hint = Add a bio, skills and portfolio links with /editprofile: clients read them before they hire.
btn-fav = ☆ Add to favourites
fav-added = { $name } is in your favourites; /favs lists them.
favs-head = <b>Your favourite freelancers</b>:
favs-empty = No favourites yet; add one with /fav @username.
favs-line = <b>{ $name }</b> · user { $user }
invite-sent = { $name } is invited to bid on Job #{ $job }.
balance-card =
    <b>Your balance</b>
    Available: { $available }
    Pending payouts: { $pending }
balance-refunding = On its way back to you from Telegram: { $amount } (Deal #{ $deal }, requested { $since }).
balance-hint = Withdraw it with /payout, or /payout followed by an amount.
balance-pending = Payout #{ $payout } of { $amount } (requested { $since }) waits for a moderator to pay it outside the bot; you will get a message when it is paid.
balance-hint-several = Withdraw everything with /payout (one request per currency), or a part with /payout, the amount and its currency, like /payout 50 { $code }.
payout-requested = Payout #{ $payout } of { $amount } is requested; a moderator pays it outside the bot and marks it done.

## Messages

ask-sent = Your question about Job #{ $job } is sent to the client; their answer will come here:
    <blockquote>{ $text }</blockquote>
msg-sent = Your message on Bid #{ $bid } is sent.
reply-sent = Your reply is sent.

## Usage (InvalidInput keys of these commands)

err-args-job = Usage: /job &lt;job number&gt;
err-args-closejob = Usage: /closejob &lt;job number&gt;
err-args-bids = Usage: /bids &lt;job number&gt; [price|rating|experience]
err-args-bids-sort = Bids can be sorted by price, rating or experience.
err-args-bid = That is not a bid number.
err-args-shortlist = Usage: /shortlist &lt;bid number&gt;
err-args-accept = Usage: /accept &lt;bid number&gt;
err-args-decline = Usage: /decline &lt;bid number&gt; [reason]
err-args-trial = Usage: /trial &lt;bid number&gt; &lt;task&gt;
err-args-trial-id = That is not a trial number.
err-args-withdraw = Usage: /withdraw &lt;bid number&gt;
err-args-fav = Usage: /fav &lt;@username or user id&gt;
err-args-invite = Usage: /invite &lt;@username or user id&gt; &lt;job number&gt;
err-args-ask = Usage: /ask &lt;job number&gt; &lt;question&gt;
err-args-msg = Usage: /msg &lt;bid number&gt; &lt;text&gt;

## Your data: /mydata, /deleteaccount

person-deleted = deleted account
text-deleted = (deleted)
mydata-caption = Everything the marketplace stores about you: your profile, jobs, bids, deals, messages, money and feedback (times in UTC, money in minor units).
deleteaccount-confirm =
    <b>Delete your account?</b>
    Your name, username, bio, skills and portfolio are erased, and your messages and cover letters are replaced by “(deleted)”. Your open jobs are closed and your bids withdrawn.
    What others and the books need stays, without your name: your past deals (shown as “deleted account”), feedback and payment records.
    This cannot be undone; writing to the bot later starts a new profile.
deleteaccount-yes = Yes, delete it
deleteaccount-no = No, keep it
deleteaccount-kept = Your account is kept; nothing was changed.
deleteaccount-done = Your account is deleted. Thank you for using the marketplace; /start begins anew.
## Trust signals (bot/domain/trust.py has the rules; the README too)
trust-rate = { $pct }%
trust-rate-none = n/a
trust-top-rated = 🏅 Top rated
trust-freelancer = Completed { $completion } of funded deals ({ $released }/{ $funded }) · on time { $ontime } · disputes lost: { $lost }
trust-freelancer-new = No funded deals yet
trust-client = Hired on { $hire } of jobs ({ $hired }/{ $jobs }) · paid { $paid } of { $owed } accepted bids · disputes lost: { $lost }
trust-client-new = No hires yet
profile-as-freelancer = As a freelancer: { $line }
profile-as-client = As a client: { $line }
