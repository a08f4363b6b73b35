// Small page helpers, no inline script (the Content-Security-Policy forbids it).
// Filter forms marked data-autosubmit submit when a select changes; the first field with an error gets focus.
document.addEventListener('change', (event) => {
  const form = event.target instanceof Element ? event.target.closest('form[data-autosubmit]') : null;
  if (form && event.target instanceof HTMLSelectElement) form.requestSubmit();
});
document.addEventListener('DOMContentLoaded', () => {
  const invalid = document.querySelector('[aria-invalid="true"]');
  if (invalid instanceof HTMLElement) invalid.focus();
});
