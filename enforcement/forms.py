"""Forms of the enforcement pages: they parse input; the services decide what is allowed."""

from django import forms

from enforcement.models import REGULATION_KEY_QUESTION, ActionKind, Appeal, Proposal, Regulation


class ActionForm(forms.Form):
    kind = forms.ChoiceField(label="Kind of action", choices=ActionKind.choices, widget=forms.RadioSelect)
    proposal = forms.ChoiceField(
        label="What it does to the registration (notices of proposal and urgent action)",
        choices=[("", "Not applicable"), *Proposal.choices],
        required=False,
    )
    summary = forms.CharField(label="What the provider must do, or what the action does", widget=forms.Textarea)
    reason = forms.CharField(label="Why: the decision and its reasons", widget=forms.Textarea)
    regulations = forms.MultipleChoiceField(
        label="Regulations breached", choices=Regulation.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    def breaches(self, data) -> list[tuple[str, str]]:
        """Each regulation ticked, with the key question chosen for it (its usual one by default)."""
        pairs = []
        for regulation in self.cleaned_data["regulations"]:
            key_question = data.get(f"kq-{regulation}") or REGULATION_KEY_QUESTION[regulation]
            pairs.append((regulation, key_question))
        return pairs


class RepresentationForm(forms.Form):
    regulated_activity = forms.TypedChoiceField(label="Which regulated activity is it about?", coerce=int)
    text = forms.CharField(label="Your representations", widget=forms.Textarea(attrs={"rows": 8}), strip=False)
    file = forms.FileField(
        label="Upload evidence (optional)",
        help_text="A PDF, Word or Excel document, or a JPEG or PNG image, smaller than 10 MB.",
        required=False,
    )

    def __init__(self, *args, activities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["regulated_activity"].choices = [(a.pk, a.name) for a in activities]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("adopt", "Adopt: the action stands"), ("withdraw", "Withdraw the action")], widget=forms.RadioSelect
    )
    reason = forms.CharField(widget=forms.Textarea)


class AppealOutcomeForm(forms.Form):
    outcome = forms.ChoiceField(choices=Appeal.Outcome.choices)
    on = forms.DateField()
    notes = forms.CharField(required=False, widget=forms.Textarea)
