from django import forms

from shares.services import DEFAULT_DAYS, MAX_DAYS


class ShareForm(forms.Form):
    expires_in_days = forms.IntegerField(
        label="Expires after (days)", min_value=1, max_value=MAX_DAYS, initial=DEFAULT_DAYS
    )
    password = forms.CharField(
        label="Password (optional)",
        max_length=128,
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Whoever opens the link is asked for it first.",
    )


class SharePasswordForm(forms.Form):
    password = forms.CharField(
        label="Password", max_length=128, strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "off"})
    )
