from django import forms
from django.contrib.auth.forms import UserCreationForm

from accounts.models import ProviderSettings, User


class SignupForm(UserCreationForm):
    class Meta:
        model = User
        fields = ["username", "email"]


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label="Your password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password


class ProviderForm(forms.Form):
    kind = forms.ChoiceField(label="Provider", choices=ProviderSettings.Kind.choices)
    base_url = forms.CharField(
        label="Base URL",
        required=False,
        max_length=500,
        help_text="For OpenAI-compatible servers such as Ollama or vLLM, e.g. https://llm.example.com/v1.",
    )
    model = forms.CharField(label="Model", required=False, max_length=200)
    api_key = forms.CharField(
        label="API key",
        required=False,
        max_length=500,
        strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}, render_value=False),
    )
    clear_api_key = forms.BooleanField(label="Remove the stored API key", required=False)


class TokenForm(forms.Form):
    name = forms.CharField(
        label="Token name", max_length=100, help_text="Say where you will use it, e.g. “backup script”."
    )
