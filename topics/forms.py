from django import forms


class TopicForm(forms.Form):
    # A plain form: the namespace rules live in topics.services, not in model validation.
    name = forms.CharField(max_length=100)
    description = forms.CharField(
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="A few words on what belongs here help Kite file documents under it.",
    )
