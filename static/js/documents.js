// Documents list: keep the state badges and topics of queued and processing documents current without a reload.
import { StateWatcher, isPending, renderBadge, renderTopics } from "./live.js";

const table = document.getElementById("documents");
if (table) {
  const rows = new Map([...table.querySelectorAll("tr[data-document-id]")].map((row) => [row.dataset.documentId, row]));
  const watcher = new StateWatcher(table.dataset.statesUrl, (doc) => {
    const row = rows.get(doc.id);
    row.dataset.state = doc.state;
    renderBadge(row.querySelector("[data-state-badge]"), doc);
    renderTopics(row.querySelector("[data-topics]"), doc.topics);
  });
  for (const [id, row] of rows) if (isPending(row.dataset.state)) watcher.watch(id);
}
