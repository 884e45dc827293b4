## Job alerts: /alerts, the new-alert steps, the alerts and the daily digest.

alerts-any-category = Any category
alerts-words = “{ $words }”
alerts-min-budget = from { $budget }
alerts-language-en = in English
alerts-language-ru = in Russian
alerts-mode-instant = at once
alerts-mode-digest = daily digest

alerts-empty =
    🔔 <b>Job alerts</b>
    You have none yet. An alert tells you of every new job that matches your search (a category, words as in /jobs, a smallest budget, a language), at once or in one digest a day; at most { $per_day } a day.
alerts-title = 🔔 <b>Your job alerts</b> ({ $count } of { $most })
alerts-line = Alert #{ $alert }: { $summary }
alerts-footer = At most { $per_day } alerts a day; never about your own jobs.
alerts-btn-new = ➕ New alert
alerts-btn-stop = 🔕 Stop these alerts
alerts-btn-stop-n = 🔕 Stop #{ $alert }
alerts-btn-to-digest = Daily digest #{ $alert }
alerts-btn-to-instant = At once #{ $alert }
alerts-stopped = 🔕 Alert #{ $alert } is stopped: no more jobs from it. /alerts lists the others.
alerts-mode-set = Alert #{ $alert } now comes { $mode }.

alerts-ask-category = 🔔 New alert, step 1 of 5: which category?
alerts-btn-any-category = Any category
alerts-ask-words = Step 2 of 5: the words to look for in new jobs, as with /jobs (a word matches the start of a word: “logo” finds “logos”). Or Skip for every job.
alerts-ask-budget = Step 3 of 5: the smallest budget you would take, in { $currency } (a number, like 150). Or Skip.
alerts-ask-language = Step 4 of 5: jobs written in which language?
alerts-btn-any-language = Any language
alerts-btn-english = English
alerts-btn-russian = Russian
alerts-ask-mode = Step 5 of 5: tell you at once, or in one digest a day (at { $hour }:00 UTC)?
alerts-btn-instant = 🔔 At once
alerts-btn-digest = 📬 Daily digest
alerts-saved = ✅ Alert #{ $alert } saved: { $summary }.
alerts-cancelled = No alert was saved.

alert-job-head = 🔔 New job for alert #{ $alert } ({ $summary })
alert-job-title = <b>Job #{ $job }</b> · <b>{ $title }</b>
alert-job-facts = { $category } · budget { $budget } · wanted by { $deadline }
alert-job-description = { $text }
alert-btn-bid = Bid
alert-btn-open = Open the job
alert-btn-bid-on = Bid on Job #{ $job }

alert-digest-head = 📬 <b>Your daily job digest</b>: { $count ->
        [one] 1 new job
       *[other] { $count } new jobs
    }
alert-digest-line = • <b>Job #{ $job }</b> { $title } · { $category } · { $budget }
alert-digest-more = … and { $count } more: /jobs lists them.
alert-digest-searches = From your alerts:

## Refusals (plain text: they may be shown in a button's alert).

err-alerts-words-too-long = The words of an alert may be at most { $max } characters long.
err-alerts-mode-invalid = An alert comes at once or in a daily digest.
err-alerts-too-many = You can keep at most { $max } alerts; stop one in /alerts first.
err-alerts-not-found = There is no Alert #{ $alert }.
err-alerts-not-yours = Alert #{ $alert } is not yours.
err-alerts-already-stopped = Alert #{ $alert } is already stopped.
