"""Forms for signing in and for delegations; they parse input, services decide."""

from crispy_forms_gds.fields import DateInputField
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Fixed, Layout, Size, Submit
from django import forms

from cqcportal.accounts.models import User


class SignInForm(forms.Form):
    email = forms.EmailField(
        label="E-mail address",
        max_length=254,
        error_messages={
            "required": "Enter your e-mail address",
            "invalid": "Enter an e-mail address like name@example.org",
        },
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        max_length=200,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Enter your password"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs.update(autocomplete="email", spellcheck="false")
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Field.text("email", field_width=Fixed.THIRTY), Field.text("password", field_width=Fixed.TWENTY)
        )
        self.helper.add_input(Submit("sign_in", "Sign in"))


class DelegationForm(forms.Form):
    delegate = forms.ModelChoiceField(
        queryset=User.objects.none(),
        label="Who will act for you?",
        help_text="They can do everything you can do in the portal between these dates. Everything they do is "
        "recorded as done on your behalf.",
        empty_label="Choose a colleague",
        error_messages={
            "required": "Choose who will act for you",
            "invalid_choice": "Choose a colleague from the list",
        },
    )
    start_date = DateInputField(label="From", help_text="For example, 27 3 2027")
    end_date = DateInputField(label="Until (inclusive)", help_text="For example, 10 4 2027")
    reason = forms.CharField(
        label="Reason (optional)",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example, annual leave. Up to 500 characters.",
        error_messages={"max_length": "The reason must be 500 characters or fewer (it has %(show_value)d)"},
    )

    def __init__(self, *args, colleagues, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["delegate"].queryset = colleagues
        self.fields["delegate"].label_from_instance = lambda u: f"{u.full_name} ({u.email})"
        self.helper = FormHelper()
        self.helper.legend_size = Size.MEDIUM
        self.helper.layout = Layout(
            Field.select("delegate"),
            Field("start_date", legend_size=Size.SMALL),
            Field("end_date", legend_size=Size.SMALL),
            Field.textarea("reason", max_characters=500),
        )
        self.helper.add_input(Submit("save", "Name delegate"))


class SecondFactorCodeForm(forms.Form):
    code = forms.CharField(
        label="Code from your authenticator app",
        help_text="The 6-digit code the app shows now, for example 123456.",
        max_length=12,
        error_messages={"required": "Enter the 6-digit code from your authenticator app"},
    )

    def __init__(self, *args, submit_label: str = "Continue", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update(
            autocomplete="one-time-code", inputmode="numeric", spellcheck="false", autocapitalize="none"
        )
        self.helper = FormHelper()
        self.helper.layout = Layout(Field.text("code", field_width=Fixed.FIVE))
        self.helper.add_input(Submit("continue", submit_label))

    def clean_code(self) -> str:
        digits = "".join(ch for ch in self.cleaned_data["code"] if ch.isdigit())
        if len(digits) != 6:
            raise forms.ValidationError("Enter the 6 digits the app shows, with no letters")
        return digits
