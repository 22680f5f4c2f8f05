// Copy buttons (`data-copy="<input id>"`): a new share link, a new API token. The button puts the value on the
// clipboard and says so.
for (const button of document.querySelectorAll("[data-copy]")) {
  button.addEventListener("click", async () => {
    const input = document.getElementById(button.dataset.copy);
    input.select();
    try {
      await navigator.clipboard.writeText(input.value);
      button.textContent = "Copied";
    } catch {
      // No clipboard (an insecure origin, a refusal): the link stays selected for the keyboard's copy.
      button.textContent = "Press Ctrl+C to copy";
    }
  });
}
