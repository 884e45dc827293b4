### The guided flows: posting a job (/post), bidding (/bid), editing a profile (/editprofile),
### and the job categories with their own questions.
### Every $title, $description, $brief, $text, $cover, $answer, $value is what a person typed:
### the code escapes it.

## Shared by the flows

flow-back = ◀ Back
flow-cancel = ✖ Cancel
flow-skip = Skip ▶
flow-done = ✔ Done
flow-yes = Yes
flow-no = No
flow-use-buttons = Please use the buttons below.
flow-send-text = Please answer with a text message.
flow-lost = That step has expired; nothing was changed. Start again with the command.
flow-private-only = This works in a private chat with the bot only.

## Job categories (buttons, job cards)

category-writing = ✍️ Writing
category-programming = 💻 Programming
category-design = 🎨 Design
category-marketing = 📣 Marketing
category-translation = 🌐 Translation
category-admin = 🗂 Admin support
category-other = 🧩 Other

## Each category's own questions

question-writing-pages = How many pages?
question-writing-topic = What is the topic?
question-writing-style = Which style or tone (academic, casual, SEO…)?
question-writing-words-per-page = How many words per page?
question-writing-native = Must the writer be a native speaker?
question-programming-stack = Which languages, frameworks or platforms (the stack)?
question-programming-repo = A link to the repository (https://…).
question-design-deliverable = What should be designed (a logo, a landing page, a banner…)?
question-design-formats = Which file formats do you need (SVG, PNG, Figma…)?
question-marketing-channel = Which channel (SEO, social media, e-mail, ads…)?
question-marketing-audience = Who is the target audience?
question-translation-languages = From which language into which (e.g. English → German)?
question-translation-words = How many words?
question-translation-native = Must the translator be a native speaker of the target language?
question-admin-hours-per-week = How many hours a week?

## Posting a job

post-ask-category = <b>New job</b>, step 1: choose the category.
post-ask-title = The <b>title</b> of the job, { $min } to { $max } characters.
post-ask-description = Describe the job: what is to be done, what you expect ({ $min } to { $max } characters).
post-ask-question = <b>Details</b>, question { $n } of { $total }:
post-question-optional = <i>Optional: press Skip if it does not apply.</i>
post-current = Now: <i>{ $value }</i>
post-ask-budget = Your <b>budget</b>: a fixed amount like <code>150</code> ({ $fixed }) or a range like <code>100-200</code> ({ $low } to { $high }).
post-budget-range = { $low } – { $high }
post-ask-deadline = When must the work be <b>delivered</b>? A duration like <code>3d</code>, <code>12h</code>, <code>2w</code>, or a date like <code>{ $example }</code>; at least { $min } from now.
post-ask-brief = An optional <b>private brief</b> (up to { $max } characters): details only the freelancers you shortlist will see. Send it, or press Skip.
post-ask-nda = Must shortlisted freelancers accept an <b>NDA</b> before they see the private brief?
post-ask-nda-text = Send the text of your NDA (up to { $max } characters), or use the standard one.
post-btn-nda-default = Use the standard NDA
post-nda-too-long = The NDA can be at most { $max } characters long; yours has { $length }.
post-ask-files = Optional <b>files</b>: send documents or photos (up to { $max }), then press Done.
post-files-added = { $count ->
        [one] One file added
       *[other] { $count } files added
    } (up to { $max }). Send more, or press Done.
post-files-full = That is the most files a job can have ({ $max }); press Done.
post-files-hint = Send a document or a photo, or press Done.
post-btn-publish = ✅ Publish
post-btn-edit = ✏️ Edit
post-ask-edit = What would you like to change?
post-edit-category = Category
post-edit-title = Title
post-edit-description = Description
post-edit-questions = Details
post-edit-budget = Budget
post-edit-deadline = Deadline
post-edit-brief = Private brief
post-edit-files = Files
post-preview-head = <b>Preview</b>: this is how your job will look. Publish it?
post-preview-title = <b>{ $title }</b>
post-preview-category = Category: { $category }
post-preview-budget = Budget: { $budget }
post-preview-deadline = Deadline: { $deadline }
post-preview-description = { $description }
post-preview-answers = <b>Details</b>
post-preview-answer = • { $question } <i>{ $answer }</i>
post-preview-brief = Private brief: <i>{ $brief }</i>
post-preview-no-brief = No private brief.
post-preview-nda-none = No NDA.
post-preview-nda-default = Shortlisted freelancers accept the standard NDA first.
post-preview-nda-custom = Shortlisted freelancers accept your NDA first: <i>{ $text }</i>
post-preview-files = { $count ->
        [0] No files.
        [one] One file.
       *[other] { $count } files.
    }
post-published = ✅ Job #{ $job } is live. Bids on “{ $title }” will arrive in this chat.
post-cancelled = Job posting cancelled; nothing was saved.

nda-default-text = The freelancer agrees to keep this job's private brief and every file and detail the client shares about it confidential, to use them only to do this job, not to disclose them to anyone, and to delete them when the job ends or the client asks.

## Bidding

bid-usage = Usage: /bid &lt;job number&gt; for step-by-step bidding, or /bid &lt;job number&gt; &lt;amount&gt; &lt;days&gt; &lt;cover letter&gt; in one line.
bid-ask-amount = <b>Bid on Job #{ $job }</b> · { $title }
    Budget: { $budget }

    Your <b>price</b> for the whole job?
bid-ask-days = In how many <b>days</b> will you deliver? ({ $min } to { $max })
bid-ask-cover = Your <b>cover letter</b> to the client (up to { $max } characters): why you, how you would do it.
bid-confirm = <b>Your bid on Job #{ $job }</b> · { $title }
    Price: { $amount }
    Delivery: { $days ->
        [one] { $days } day
       *[other] { $days } days
    }
    <i>{ $cover }</i>

    Send it?
bid-btn-confirm = ✅ Confirm
bid-placed = Bid #{ $bid } on Job #{ $job } is placed: { $amount }, { $days ->
        [one] { $days } day
       *[other] { $days } days
    }. The client is told.
bid-updated = Bid #{ $bid } on Job #{ $job } is updated: { $amount }, { $days ->
        [one] { $days } day
       *[other] { $days } days
    }. The client is told.
bid-cancelled = Bid cancelled; nothing was sent.

## Editing a profile

editprofile-head = <b>Your profile</b>: choose what to change.
editprofile-card =
    <b>Bio</b>: { $bio }
    <b>Skills</b>: { $skills }
    <b>Experience</b>: { $years }
    <b>Portfolio</b>: { $portfolio }
editprofile-empty = —
editprofile-years = { $years ->
        [one] { $years } year
       *[other] { $years } years
    }
editprofile-btn-bio = Bio
editprofile-btn-skills = Skills
editprofile-btn-years = Experience
editprofile-btn-portfolio = Portfolio
editprofile-ask-bio = Send your new <b>bio</b> (up to { $max } characters), or <code>-</code> to clear it.
editprofile-ask-skills = Send your <b>skills</b>, separated by commas (e.g. Python, Django, PostgreSQL), or <code>-</code> to clear them.
editprofile-ask-years = How many <b>years of experience</b> do you have? Send a number from 0 to 99.
editprofile-ask-portfolio = Send up to 10 <b>portfolio links</b> (https://…), separated by spaces or new lines, or <code>-</code> to clear them.
editprofile-saved = Saved.
editprofile-done = Your profile is saved; /profile shows it.
