// One document: follow its state while Kite files it, and show the topics it gets.
import { StateWatcher, isPending, swapIn } from "./live.js";

const root = document.getElementById("document");
const editor = document.getElementById("topic-editor");
let edited = false;
editor?.addEventListener("change", () => {
  edited = true;
});

function show(doc) {
  root.dataset.state = doc.state;
  swapIn(document.getElementById("document-state"), doc.state_html);
  swapIn(document.getElementById("document-topics"), doc.topics_html);
  const error = document.getElementById("document-error");
  error.textContent = doc.error;
  error.hidden = !doc.error;
  if (editor && !edited) {
    // The classifier's choices, unless the person has started changing them.
    const chosen = new Set(doc.topic_ids.map(String));
    for (const box of editor.querySelectorAll("input[name=topics]")) box.checked = chosen.has(box.value);
  }
}

if (root && isPending(root.dataset.state)) new StateWatcher(root.dataset.statesUrl, show).watch(root.dataset.documentId);
