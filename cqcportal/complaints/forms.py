"""Forms of the complaint pages: they parse input only; the services decide what is allowed."""

import datetime

from django import forms

from cqcportal.complaints.services import COMPLAINANT_MAX_CHARS

DATE_PARTS = ("received_day", "received_month", "received_year")


class ComplaintForm(forms.Form):
    """A new complaint. The received date is three GOV.UK date boxes; ``cleaned_data["received_date"]`` joins them."""

    location = forms.CharField(
        label="Register id of the location (optional)",
        help_text="For example, 1-123456789. Leave it empty if the complaint is not about one location.",
        required=False,
        max_length=40,
    )
    # Longer names pass the form so the service can say what the limit is and the box keeps what was typed.
    complainant = forms.CharField(
        label="Who complained",
        help_text=f"Their name, up to {COMPLAINANT_MAX_CHARS} characters.",
        error_messages={"required": "Enter the name of the person who complained."},
        strip=False,
    )
    about = forms.CharField(
        label="What is the complaint about?",
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "Enter what the complaint is about."},
        strip=False,
    )
    received_day = forms.CharField(label="Day", required=False)
    received_month = forms.CharField(label="Month", required=False)
    received_year = forms.CharField(label="Year", required=False)

    def clean(self):
        data = super().clean()
        parts = {name: (data.get(name) or "").strip() for name in DATE_PARTS}
        missing = [name for name, value in parts.items() if not value]
        if len(missing) == len(DATE_PARTS):
            self.add_error("received_day", "Enter the date the complaint was received.")
            return data
        if missing:
            words = " and ".join(name.removeprefix("received_") for name in missing)
            self.add_error(missing[0], f"The date the complaint was received must include a {words}.")
            return data
        try:
            day, month, year = (int(parts[name]) for name in DATE_PARTS)
            if year < 1000:
                raise ValueError("the year must have four digits")
            data["received_date"] = datetime.date(year, month, day)
        except ValueError:
            self.add_error("received_day", "The date the complaint was received must be a real date.")
        return data


class OutcomeForm(forms.Form):
    outcome = forms.CharField(
        label="Outcome",
        help_text="What was found and what was done. The complainant's reply can be summarised here.",
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Enter the outcome of the complaint."},
    )
