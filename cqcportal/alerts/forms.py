"""The subscribe form: it parses the e-mail address; the service decides."""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Fixed, Layout, Submit
from django import forms
from django.core.validators import validate_email

MAX_EMAIL_LENGTH = 254


class SubscribeForm(forms.Form):
    email = forms.CharField(
        label="E-mail address",
        help_text="We will send you a link to confirm. We use your address only for these alerts.",
        error_messages={"required": "Enter your e-mail address"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs.update(autocomplete="email", spellcheck="false")
        self.helper = FormHelper()
        self.helper.layout = Layout(Field.text("email", field_width=Fixed.THIRTY))
        self.helper.add_input(Submit("subscribe", "Subscribe"))

    def clean_email(self) -> str:
        # One clear message for each problem, rather than Django's two for an over-long address.
        email = self.cleaned_data["email"]
        if len(email) > MAX_EMAIL_LENGTH:
            raise forms.ValidationError(
                f"The e-mail address must be {MAX_EMAIL_LENGTH} characters or fewer (it has {len(email)})"
            )
        try:
            validate_email(email)
        except forms.ValidationError:
            raise forms.ValidationError("Enter an e-mail address like name@example.org") from None
        return email
