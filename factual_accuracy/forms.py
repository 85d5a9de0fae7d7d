"""Forms of the report pages: they parse input only; the services decide what is allowed."""

from django import forms

from factual_accuracy.models import COMMENT_MAX_CHARS, QUESTION_MAX_CHARS, CorrectionKind, ResponseOutcome


class CommentForm(forms.Form):
    kind = forms.ChoiceField(
        label="What kind of correction is it?",
        choices=CorrectionKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the kind of correction."},
    )
    # The service enforces the limit; the form lets a longer text through so the page can say by how much and
    # keep it in the box instead of cutting it.
    text = forms.CharField(
        label="Your comment",
        help_text="Say what is wrong and what it should say. Refer to your evidence if you upload any.",
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "Write your comment."},
        strip=False,
    )
    file = forms.FileField(
        label="Upload evidence (optional)",
        help_text="A PDF, Word or Excel document, or a JPEG or PNG image, smaller than 10 MB.",
        required=False,
    )
    max_chars = COMMENT_MAX_CHARS


class FileForm(forms.Form):
    file = forms.FileField(label="Upload evidence", error_messages={"required": "Choose a file to upload."})


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Why do you need more time?",
        help_text="We extend the check only in exceptional circumstances.",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=1000,
        error_messages={"required": "Tell us why you need more time."},
    )


class QuestionForm(forms.Form):
    section = forms.TypedChoiceField(label="Which part of the report is it about?", coerce=int, required=False)
    question = forms.CharField(
        label="Your question",
        help_text="Ask about one point, briefly; the assessment team will answer in the portal.",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Write your question."},
        strip=False,
    )
    max_chars = QUESTION_MAX_CHARS

    def __init__(self, *args, sections=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].choices = [("", "The report as a whole")] + [(s.pk, s.title) for s in sections]


class ResponseForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Your response",
        choices=ResponseOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether the comment is accepted, partly accepted or not accepted."},
    )
    response = forms.CharField(
        label="Reasons",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Give the reasons for your response."},
    )


class RescoreForm(forms.Form):
    score = forms.TypedChoiceField(
        label="New score",
        coerce=int,
        choices=[(n, str(n)) for n in (1, 2, 3, 4)],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a score from 1 to 4."},
    )
    reason = forms.CharField(
        label="Why the score changed",
        help_text="The public working shows this beside the score.",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why the score changed."},
    )


class ExtensionDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="Decision",
        choices=[("grant", "Grant: exceptional circumstances"), ("refuse", "Refuse")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether to grant or refuse."},
    )
    new_due_date = forms.DateField(
        label="New end of the check (if granted)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter a real date."},
    )
    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 3}), max_length=1000)
