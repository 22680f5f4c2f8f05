from django import forms

from documents.models import Document


class TitleForm(forms.Form):
    # The model's own bound, so the page refuses what the database would; blank is refused rather than ignored.
    title = forms.CharField(
        max_length=Document._meta.get_field("title").max_length,
        error_messages={"required": "Give the document a title."},
    )
