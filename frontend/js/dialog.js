// Focus handling of the explorer's dialogs (the shortcut list, the setup panel): opening one
// moves the focus into it, Tab and Shift+Tab cycle inside the top open dialog, closing returns
// the focus to where it was before. No state of its own beyond the stack of open dialogs.
const FOCUSABLE = 'button, [href], input, select, textarea, [tabindex]:not([tabindex="-1"])';
const open = []; // [{box, returnTo}], the top dialog last

function focusables(box) {
  return [...box.querySelectorAll(FOCUSABLE)].filter((node) => !node.disabled && node.type !== 'hidden'
    && !node.closest('[hidden]') && node.getClientRects().length > 0);
}

function canFocus(node) {
  return node instanceof HTMLElement && node.isConnected && !node.disabled && node.getClientRects().length > 0;
}

function onKeydown(event) {
  const top = open.at(-1);
  if (event.key !== 'Tab' || !top) return;
  const list = focusables(top.box);
  if (!list.length) return; // not on screen (e.g. the setup panel in projector mode): no trap
  event.preventDefault();
  const at = list.indexOf(document.activeElement);
  const next = at < 0
    ? (event.shiftKey ? list.length - 1 : 0)
    : (at + (event.shiftKey ? -1 : 1) + list.length) % list.length;
  list[next].focus();
}

let listening = false;

/** Open `box` as a dialog: focus `initial` (or its first focusable element). */
export function openDialog(box, initial = null) {
  if (!box || open.some((d) => d.box === box)) return;
  if (!listening) {
    document.addEventListener('keydown', onKeydown, true);
    listening = true;
  }
  open.push({ box, returnTo: document.activeElement });
  const target = initial && canFocus(initial) ? initial : focusables(box)[0];
  target?.focus();
}

/** Close `box`: the focus goes back where it was when it opened (unless the user has moved
 * it elsewhere meanwhile). */
export function closeDialog(box) {
  const at = open.findIndex((d) => d.box === box);
  if (at < 0) return;
  const [{ returnTo }] = open.splice(at, 1);
  const active = document.activeElement;
  if (active && active !== document.body && !box.contains(active)) return;
  if (canFocus(returnTo) && returnTo !== document.body) returnTo.focus();
  else if (active instanceof HTMLElement) active.blur();
}

export function isOpen(box) {
  return open.some((d) => d.box === box);
}
