// Documents list (table or cards): keep the state badges and topics of queued and processing documents current without a reload.
import { StateWatcher, isPending, swapIn } from "./live.js";

const table = document.getElementById("documents");
if (table) {
  const rows = new Map([...table.querySelectorAll("[data-document-id]")].map((row) => [row.dataset.documentId, row]));
  const watcher = new StateWatcher(table.dataset.statesUrl, (doc) => {
    const row = rows.get(doc.id);
    row.dataset.state = doc.state;
    swapIn(row.querySelector("[data-state-slot]"), doc.state_html);
    swapIn(row.querySelector("[data-topics]"), doc.topics_html);
  });
  for (const [id, row] of rows) if (isPending(row.dataset.state)) watcher.watch(id);
}
