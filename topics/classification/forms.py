from django import forms

from topics.classification.models import ProviderSettings


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
