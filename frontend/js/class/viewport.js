// Phones: with the on-screen keyboard open only the visual viewport is visible. Keep a focused
// field (and its Send button) in it: on focus and whenever the visual viewport changes, scroll
// the field's form into the middle of what is visible. The page has no fixed elements to cover it.
export function keepInView(input) {
  if (!input) return;
  const target = input.form ?? input;
  const reveal = () => {
    if (document.activeElement !== input) return;
    const vv = window.visualViewport;
    const rect = target.getBoundingClientRect();
    const top = vv ? vv.offsetTop : 0;
    const height = vv ? vv.height : window.innerHeight;
    if (rect.top < top || rect.bottom > top + height) {
      window.scrollBy({ top: rect.top - top - Math.max(0, (height - rect.height) / 2), behavior: 'instant' });
    }
  };
  input.addEventListener('focus', () => requestAnimationFrame(reveal));
  window.visualViewport?.addEventListener('resize', reveal);
  window.visualViewport?.addEventListener('scroll', reveal);
}
