"""Forms of the document pages that take more than a button."""

from django import forms

from documents.notes import MAX_NOTE_CHARS


class NoteForm(forms.Form):
    # The length rule is documents.notes's; the form states it to the browser too.
    text = forms.CharField(
        label="New note", max_length=MAX_NOTE_CHARS, widget=forms.Textarea(attrs={"rows": 3}), strip=True
    )
