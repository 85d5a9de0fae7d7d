from django import forms

from assessments.services import RESPONSE_MAX_CHARS


class InformationRequestForm(forms.Form):
    questions = forms.CharField(
        label="What do you need from the provider?",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "Enter what you need from the provider"},
    )


class InformationResponseForm(forms.Form):
    response = forms.CharField(
        label="Your response",
        max_length=RESPONSE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=f"Up to {RESPONSE_MAX_CHARS:,} characters.",
        error_messages={
            "required": "Enter your response",
            "max_length": f"Your response must be {RESPONSE_MAX_CHARS:,} characters or fewer (it has %(show_value)d)",
        },
    )


class PauseForm(forms.Form):
    reason = forms.CharField(label="Why is the clock stopping?", max_length=500)


class ExtendForm(forms.Form):
    new_due_date = forms.DateField(
        label="New due date",
        help_text="For example, 27/3/2027",
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        error_messages={"invalid": "Enter the date like 27/3/2027"},
    )
    reason = forms.CharField(label="Reason", max_length=500)
