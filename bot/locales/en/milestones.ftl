## Milestone contracts (issue 14): bot/handlers/milestones.py, bot/views/milestones.py

milestone-state = { $state ->
        [pending] to come
        [proposed] proposed, waiting for the freelancer
        [awaiting_funding] awaiting payment
        [funded] funded, work in progress
        [delivered] delivered, in review
        [disputed] in dispute
        [released] released
        [split] split by the moderators
        [refunded] refunded
        [cancelled] cancelled
       *[other] { $state }
    }
milestone-line = { $current ->
        [yes] ▶️
       *[other] ·
    } { $position }. { $name }: { $amount } · { milestone-state }
milestone-line-settled = (to the freelancer { $paid }, back to the client { $back })
milestone-card-title = 🧩 <b>Milestones</b> ({ $count }); the buttons act on ▶️ the current one:
milestone-btn-accept = ✅ Accept the milestone
milestone-btn-decline = ✖️ Decline

milestones-set = 🧩 Bid #{ $bid } is now paid in { $count ->
        [one] { $count } milestone
       *[other] { $count } milestones
    }, funded one at a time:
milestones-show = 🧩 Bid #{ $bid } ({ $amount }) in { $count ->
        [one] { $count } milestone
       *[other] { $count } milestones
    }:
milestones-none = Bid #{ $bid } has no milestones: it is paid at once. Propose some with /milestones { $bid } Title = amount; Title = amount.
milestones-added = Milestone “{ $name }” ({ $amount }) is proposed for Deal #{ $deal }; it joins the contract once the freelancer accepts it.
milestones-accepted = Milestone “{ $name }” ({ $amount }) joins Deal #{ $deal }; the contract is now { $total }.
milestones-declined = You declined milestone “{ $name }” ({ $amount }) of Deal #{ $deal }.
milestones-released = ✅ Milestone “{ $name }” of Deal #{ $deal } is released: { $amount } goes to the freelancer.
milestones-next-invoice = Next: milestone { $position }, “{ $name }” ({ $amount }); its invoice follows.
deal-canceldeal-closed = Deal #{ $deal } has ended: the milestones paid stay paid, the rest is not funded.

invoice-milestone-title = Deal #{ $deal }, milestone { $position }
invoice-milestone-description = Pay by { $due_at }. Milestone { $position } “{ $name }” of Job #{ $job } “{ $title }”: { $amount } held in escrow until you release it to the freelancer.
invoice-milestone-label = Milestone { $position } escrow

notify-milestones-plan = 🧩 { $by_name } set the milestones of Bid #{ $bid } on Job #{ $job } ({ $count }). See them with /milestones { $bid }.
notify-milestone-next-client = 🧩 Deal #{ $deal }: milestone { $position }, “{ $name }” ({ $amount }), is next. Pay its invoice by { $due_at }, or /canceldeal { $deal } to end the contract here.
notify-milestone-next-freelancer = 🧩 Deal #{ $deal }: milestone { $position }, “{ $name }” ({ $amount }), is next; it waits for the client's payment (by { $due_at }). Please don't start it before that.
notify-milestones-closed-client = Deal #{ $deal } has ended with { $count ->
        [one] { $count } milestone
       *[other] { $count } milestones
    } paid ({ $paid }); the rest of the plan was not funded.
notify-milestones-closed-freelancer = Deal #{ $deal } has ended with { $count ->
        [one] { $count } milestone
       *[other] { $count } milestones
    } paid ({ $paid }); the rest of the plan was not funded.
notify-milestone-proposed = 🧩 The client proposes one more milestone for Deal #{ $deal }: “{ $name }” ({ $amount }). Accept it to add it to the contract.
notify-milestone-accepted = ✅ The freelancer accepted milestone “{ $name }” ({ $amount }) of Deal #{ $deal }.
notify-milestone-declined = The freelancer declined milestone “{ $name }” ({ $amount }) of Deal #{ $deal }.
notify-milestone-released = ✅ Milestone “{ $name }” of Deal #{ $deal } is released: { $paid } went to your balance (platform fee { $fee }). The next milestone waits for the client's payment.

err-milestones-usage = Write /milestones &lt;bid&gt; Title = amount; Title = amount (or just /milestones &lt;bid&gt; to see them).
err-milestones-usage-add = Write /addmilestone &lt;deal&gt; Title = amount.
err-milestones-syntax = Write each milestone as Title = amount, separated by “;”.
err-milestones-title-too-long = A milestone's title can be at most { $max } characters.
err-milestones-amount-positive = Milestone “{ $title }” needs an amount above zero.
err-milestones-too-many = A contract can have at most { $max } milestones.
err-milestones-sum = The milestones add up to { $amount }, but the bid is { $total }: they must add up to the bid exactly.
err-milestones-stale-sum = The milestones of Bid #{ $bid } add up to { $amount } but the bid is now { $total }; fix them with /milestones { $bid } before hiring.
err-milestones-not-party = Only the freelancer of Bid #{ $bid } or the job's client can change its milestones.
err-milestones-bid-not-open = Bid #{ $bid } is no longer waiting for a hire, so its milestones cannot change.
err-milestones-not-milestones = Deal #{ $deal } is paid at once, not in milestones.
err-milestones-contract-ended = Deal #{ $deal } has ended.
err-milestones-proposal-waiting = A milestone proposed for Deal #{ $deal } still waits for the freelancer's answer.
err-milestones-no-proposal = No milestone waits for your answer on Deal #{ $deal }.
