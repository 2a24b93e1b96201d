// Small progressive enhancements that htmx attributes cannot express without eval.
// Escape inside an inline edit form cancels it.
document.addEventListener('keydown', (event) => {
  if (event.key !== 'Escape') return;
  const form = event.target instanceof Element ? event.target.closest('form.bookmark-edit') : null;
  const cancel = form?.querySelector('.edit-cancel');
  if (cancel instanceof HTMLElement) {
    event.preventDefault();
    cancel.click();
  }
});
