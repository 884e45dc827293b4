## A dispute's topic in the moderator group, when it is a forum (plain text, 128 at most).

topic-dispute-open = Deal #{ $deal } — dispute
topic-dispute-decided = Deal #{ $deal } — { $outcome ->
        [release] released to the freelancer
        [refund] refunded to the client
       *[split] split, { $percent }% to the freelancer
    }
