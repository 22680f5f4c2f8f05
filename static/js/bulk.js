// Documents list, action bar (LIFE-03): "select all on this page" and a count of what an action will touch.
// Without this script the bar still works: tick rows, or "All N documents", and apply.
const form = document.getElementById("bulk");
if (form) {
  const boxes = [...document.querySelectorAll('input[name="ids"][form="bulk"]')];
  const pageBox = document.getElementById("select-page");
  const matching = document.getElementById("select-matching");
  const count = document.getElementById("bulk-count");
  const total = matching.dataset.total;

  const update = () => {
    const ticked = boxes.filter((box) => box.checked).length;
    pageBox.checked = ticked === boxes.length;
    pageBox.indeterminate = ticked > 0 && ticked < boxes.length;
    count.textContent = matching.checked ? `${total} selected` : ticked ? `${ticked} selected` : "";
  };

  form.querySelector("[data-select-page]").hidden = false;
  pageBox.addEventListener("change", () => {
    for (const box of boxes) box.checked = pageBox.checked;
    if (!pageBox.checked) matching.checked = false;
    update();
  });
  matching.addEventListener("change", () => {
    if (matching.checked) for (const box of boxes) box.checked = true;
    update();
  });
  for (const box of boxes) {
    box.addEventListener("change", () => {
      if (!box.checked) matching.checked = false;
      update();
    });
  }
  update();
}
