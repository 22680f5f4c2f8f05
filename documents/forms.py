"""Forms of the document pages that take more than a button."""

from django import forms

from documents.models import Document
from documents.notes import MAX_NOTE_CHARS


class NoteForm(forms.Form):
    # The length rule is documents.notes's; the form states it to the browser too.
    text = forms.CharField(
        label="New note", max_length=MAX_NOTE_CHARS, widget=forms.Textarea(attrs={"rows": 3}), strip=True
    )


class TitleForm(forms.Form):
    # The model's own bound, so the page refuses what the database would; blank is refused rather than ignored.
    title = forms.CharField(
        max_length=Document._meta.get_field("title").max_length,
        error_messages={"required": "Give the document a title."},
    )
