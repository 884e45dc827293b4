## Inline mode: `@bot words` in any chat (the result's title and line are plain text).

inline-result-title = Job #{ $job } · { $title }
inline-job-title = <b>Job #{ $job }</b> · <b>{ $title }</b>
inline-job-facts = { $category } · budget { $budget } · wanted by { $deadline }
inline-job-description = { $text }
inline-btn-open = Open Job #{ $job }
inline-btn-bid = Bid
