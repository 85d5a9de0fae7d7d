from django import forms


class RegisterSearchForm(forms.Form):
    text = forms.CharField(label="Name or register id", required=False, max_length=200)
    postcode = forms.CharField(
        label="Postcode",
        required=False,
        max_length=10,
        help_text="The whole postcode or its start, for example OL4",
        error_messages={"max_length": "A postcode has at most 8 characters"},
    )
    region = forms.ChoiceField(label="Region", required=False)
    service_type = forms.ChoiceField(label="Type of service", required=False)
    include_deregistered = forms.BooleanField(label="Include services that are no longer registered", required=False)

    def __init__(self, *args, choices: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [("", "All regions"), *[(r.value, r.label) for r in choices["regions"]]]
        self.fields["service_type"].choices = [("", "All types"), *[(s, s) for s in choices["service_types"]]]

    def clean(self):
        data = super().clean()
        if self.is_bound and not any(data.get(k) for k in ("text", "postcode", "region", "service_type")):
            raise forms.ValidationError("Enter a name, a postcode, or choose a region or a type of service")
        return data
