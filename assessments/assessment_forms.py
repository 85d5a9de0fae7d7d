from django import forms

from assessments.models import Assessment, EvidenceCategory


class AssessmentForm(forms.Form):
    kind = forms.ChoiceField(
        label="Type of assessment",
        choices=Assessment.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose planned or responsive"},
    )
    announced = forms.TypedChoiceField(
        label="Will it be announced?",
        choices=[("yes", "Announced (normally two weeks' notice)"), ("no", "Unannounced")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose announced or unannounced"},
    )
    onsite_start_date = forms.DateField(
        label="On-site visit starts (optional)",
        required=False,
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        help_text="For example, 27/3/2027",
        error_messages={"invalid": "Enter the date like 27/3/2027"},
    )
    onsite_end_date = forms.DateField(
        label="On-site visit ends (optional)",
        required=False,
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        error_messages={"invalid": "Enter the date like 27/3/2027"},
    )


class ScoreForm(forms.Form):
    score = forms.TypedChoiceField(
        label="Score",
        choices=[
            ("4", "4 – Evidence shows an exceptional standard"),
            ("3", "3 – Evidence shows a good standard"),
            ("2", "2 – Evidence shows some shortfalls"),
            ("1", "1 – Evidence shows significant shortfalls"),
        ],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a score from 1 to 4", "invalid_choice": "Choose a score from 1 to 4"},
    )
    summary = forms.CharField(
        label="Summary of findings",
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"max_length": "The summary must be 10,000 characters or fewer (it has %(show_value)d)"},
    )
    judgement = forms.CharField(
        label="Judgement statement",
        required=False,
        max_length=5_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "The judgement must be 5,000 characters or fewer (it has %(show_value)d)"},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)


class EvidenceForm(forms.Form):
    category = forms.ModelChoiceField(
        label="Evidence category",
        queryset=EvidenceCategory.objects.all(),
        empty_label="Choose a category",
        error_messages={"required": "Choose the evidence category"},
    )
    note = forms.CharField(
        label="What the evidence shows",
        max_length=5_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Describe the evidence"},
    )
    source = forms.CharField(label="Source (optional)", max_length=300, required=False)
    document = forms.FileField(
        label="Document (optional)", required=False, help_text="PDF, Word, Excel, text, JPEG or PNG; up to 10 MB."
    )


class DepartureForm(forms.Form):
    key_question = forms.ChoiceField(
        label="Which rating?",
        choices=[
            ("safe", "Safe"),
            ("effective", "Effective"),
            ("caring", "Caring"),
            ("responsive", "Responsive"),
            ("well_led", "Well-led"),
            ("overall", "Overall"),
        ],
    )
    rating = forms.ChoiceField(
        label="Rating you judge it should be",
        choices=[
            ("outstanding", "Outstanding"),
            ("good", "Good"),
            ("requires_improvement", "Requires improvement"),
            ("inadequate", "Inadequate"),
        ],
    )
    rationale = forms.CharField(
        label="Rationale",
        required=False,
        max_length=5_000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Why the evidence supports a different rating from the calculation. It is shown on the rating's "
        "working and goes to quality review.",
    )


class CompleteForm(forms.Form):
    not_rated_reason = forms.CharField(
        label="If you cannot rate, say why (optional)",
        required=False,
        max_length=500,
        help_text="For example, too little evidence to rate. The location will show as inspected but not rated.",
    )


class RegulationsForm(forms.Form):
    """For a service that is not rated: each evidence category judged met, not all met, or not assessed."""

    CHOICES = [("met", "Regulations met"), ("not_met", "Not all regulations met"), ("", "Not assessed")]

    def __init__(self, *args, categories, **kwargs):
        super().__init__(*args, **kwargs)
        self.categories = categories
        for category in categories:
            self.fields[f"category_{category.pk}"] = forms.ChoiceField(
                label=category.name, choices=self.CHOICES, required=False
            )

    def judgements(self) -> dict:
        """Category → True (met), False (not all met) or None (not assessed)."""
        values = {"met": True, "not_met": False}
        return {c: values.get(self.cleaned_data.get(f"category_{c.pk}", "")) for c in self.categories}

    def category_values(self) -> list[tuple]:
        """(category, chosen value) pairs for the page, keeping what the person chose."""
        return [(c, self[f"category_{c.pk}"].value() or "") for c in self.categories]
