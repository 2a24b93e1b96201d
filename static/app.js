// Small progressive enhancements that htmx attributes cannot express without eval.

// A signed-in page the browser kept in its back/forward cache is asked for again before it
// shows. Sign-out's Clear-Site-Data drops such pages in Chromium, but not in every browser,
// and a session can end without it (expiry, a sign-out elsewhere): then the answer is the
// sign-in page, not the kept one. While still signed in, it is a 304 from the browser's copy.
if (document.body.hasAttribute('data-signed-in')) {
  window.addEventListener('pagehide', (event) => {
    if (!event.persisted) return;
    document.documentElement.classList.add('kept-away');
    // A page kept in that cache is frozen, its timers too. Shown again without being brought
    // back from it (a browser that says pagehide when only the app went to the background), it shows once more.
    setTimeout(() => document.documentElement.classList.remove('kept-away'), 2000);
  });
  window.addEventListener('pageshow', (event) => {
    if (event.persisted) window.location.reload();
  });
  // Shown by Back or Forward from the HTTP cache, the page is the browser's copy from before any
  // add, edit or delete made on it in place: asked for again with its ETag, it loads again unless
  // the answer is 304. A session ended meanwhile answers with the way to the sign-in page: it loads too.
  const pageEtag = document.querySelector('meta[name="page-etag"]')?.getAttribute('content');
  const [navigation] = performance.getEntriesByType('navigation');
  if (pageEtag && navigation?.type === 'back_forward') {
    fetch(window.location.href, { headers: { 'If-None-Match': pageEtag }, cache: 'no-store', redirect: 'manual' }).then(
      (response) => {
        if (response.status !== 304) window.location.reload();
      },
      () => {},
    );
  }
}
/** Shows `text` in the #notice region, as partials/notice.njk would: for failures no answer of the app's own can report. */
function showNotice(text) {
  const notice = document.getElementById('notice');
  if (!notice) return;
  const toast = document.createElement('div');
  toast.className = 'toast';
  toast.setAttribute('role', 'alert');
  const message = document.createElement('span');
  message.textContent = text;
  toast.append(message);
  notice.replaceChildren(toast);
}
// The app sends its own error answers to the #notice region (HX-Retarget). One without it came from something in
// front of the app (a proxy's 502 page while the app restarts): swapped in, it would take the place of a card or the
// list. The notice says so instead.
document.addEventListener('htmx:beforeSwap', (event) => {
  const { xhr } = event.detail;
  if (!event.detail.isError || xhr.getResponseHeader('HX-Retarget')) return;
  event.detail.shouldSwap = false;
  showNotice('The app could not answer just now. Please try again in a moment.');
});
// No answer at all (offline, the connection refused or reset, a timeout if one is set): htmx swaps nothing and says
// nothing, so an Edit, a Save or a search would seem to do nothing. What was typed stays. Not for a request
// hx-sync replaced on purpose: that one ends in htmx:sendAbort.
for (const name of ['htmx:sendError', 'htmx:timeout']) {
  document.addEventListener(name, () => showNotice('Could not reach the app. Check your connection and try again.'));
}

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

// Ctrl+Z (⌘Z on a Mac) takes back the delete the toast offers to undo: for the keyboard its Undo
// comes after every card. In a text field the keys keep undoing typing; elsewhere they do
// nothing more, as the browser's own undo would reach into the search box's typing, long
// after, and run an old search.
document.addEventListener('keydown', (event) => {
  // By the key's place (code) only where the layout types no Latin letter there: on a German one Z is where Y is elsewhere.
  const z = event.key.toLowerCase() === 'z' || (!/^[a-z]$/iu.test(event.key) && event.code === 'KeyZ');
  if (!z || !(event.ctrlKey || event.metaKey) || event.shiftKey || event.altKey || event.defaultPrevented) return;
  const target = event.target instanceof Element ? event.target : null;
  if (target?.closest('input, textarea, select, [contenteditable]')) return;
  event.preventDefault();
  if (event.repeat) return;
  const undo = document.querySelector('#undo-notice form[data-restores] button[type="submit"]');
  if (undo instanceof HTMLButtonElement && undo.checkVisibility({ visibilityProperty: true })) undo.click();
});

// A search or a tag link replaces the whole list, and with it any card open for editing: changes
// not yet saved are asked about first (OK discards them; Cancel keeps them and sends nothing).
// Any edit form: in a list's card, or on the edit page of its own; one shown again after a mistake
// holds what was typed as its values (data-unsaved), changed from what is saved.
const changedEdit = () =>
  [...document.querySelectorAll('form.bookmark-edit')].find((form) =>
    form.hasAttribute('data-unsaved') || [...form.elements].some(
      (field) => (field instanceof HTMLInputElement || field instanceof HTMLTextAreaElement) && field.type !== 'hidden' && field.value !== field.defaultValue,
    ),
  );
document.addEventListener('htmx:beforeRequest', (event) => {
  if (event.detail.target?.id !== 'bookmark-list') return;
  const form = changedEdit();
  if (!form) return;
  const title = form.elements.namedItem('title');
  const name = title instanceof HTMLInputElement && title.defaultValue ? `“${title.defaultValue}”` : 'this bookmark';
  if (!window.confirm(`Discard your changes to ${name}?`)) event.preventDefault();
});
// Leaving the page (Back, a link, signing out) asks too, with the browser's own question; not when
// the edit page of its own leaves by its Save, which posts the changes (htmx's in-place Save posts
// nothing itself: it prevents the submit before it reaches the document).
let savingEditPage = false;
document.addEventListener('submit', (event) => {
  if (!event.defaultPrevented && event.target instanceof HTMLFormElement && event.target.matches('form.bookmark-edit')) savingEditPage = true;
});
// Come back to by Back from the browser's page cache, the page is being edited again.
window.addEventListener('pageshow', () => {
  savingEditPage = false;
});
window.addEventListener('beforeunload', (event) => {
  if (!savingEditPage && changedEdit()) event.preventDefault();
});

// An add or an Undo brings the list anew, out of band: a card open for editing stays open, with
// what was typed in it, wherever the new list still shows that bookmark.
// Not when the bookmark itself changed meanwhile (the add updated it): then its new card shows.
const textOf = (element) => element?.textContent ?? '';
const unchangedSince = (editing, card) => {
  // What is saved: the fields' own values, or, in a form shown again after a mistake, which holds what was typed, beside them.
  const form = editing.querySelector('form.bookmark-edit');
  const saved = (name) => form?.dataset[`saved${name[0].toUpperCase()}${name.slice(1)}`];
  const field = (name) => saved(name) ?? form?.querySelector(`[name="${name}"]`)?.defaultValue ?? null;
  const tags = [...card.querySelectorAll('.tags a')].map(textOf).join(', ');
  // The address as stored is the title link's href; .card-url shows it decoded (Caf%C3%A9 as Café).
  const storedUrl = card.querySelector('.card-title')?.getAttribute('href') ?? null;
  return field('url') === storedUrl && field('title') === textOf(card.querySelector('.card-title'))
    && field('description') === textOf(card.querySelector('.card-description')) && field('tags') === tags;
};
// (Called by the list's out-of-band handler below, once it knows the list is swapped at all.)
const keepOpenEdits = (list, fragment) => {
  for (const editing of list.querySelectorAll('li.card-editing')) {
    const card = fragment.querySelector(`#${CSS.escape(editing.id)}`);
    if (card && unchangedSince(editing, card)) card.replaceWith(editing);
  }
};

// A search for what the address already says (Enter pressed twice, a search sent again) replaces
// the history entry: Back should go to the search before, not to the same one again.
document.addEventListener('htmx:beforeHistoryUpdate', (event) => {
  const update = event.detail.history;
  if (update?.type === 'push' && new URL(update.path, window.location.href).href === window.location.href) update.type = 'replace';
});

// The add form's address lookup (partials/page-lookup.njk) found the page's title and
// description: they go into the fields only while those are empty, and only while the
// address is still the one looked up. Anything the user typed wins.
document.addEventListener('htmx:afterSwap', (event) => {
  const target = event.detail.target;
  if (!(target instanceof Element) || !target.classList.contains('lookup-result')) return;
  const found = target.querySelector('[data-typed-url]');
  const form = target.closest('form');
  if (!(found instanceof HTMLElement) || !form) return;
  const url = form.elements.namedItem('url');
  if (!(url instanceof HTMLInputElement) || url.value.trim() !== found.dataset.typedUrl) return;
  for (const name of ['title', 'description']) {
    const field = form.elements.namedItem(name);
    const value = found.dataset[name];
    if ((field instanceof HTMLInputElement || field instanceof HTMLTextAreaElement) && value && field.value.trim() === '') field.value = value;
  }
});

// In the bookmarklet's window: the saved page closes it a moment after it shows, and Cancel closes it.
const closing = document.querySelector('[data-close-window-after]');
if (closing instanceof HTMLElement) setTimeout(() => window.close(), Number(closing.dataset.closeWindowAfter) || 0);
for (const button of document.querySelectorAll('[data-action="close-window"]')) button.hidden = false;

// Wide screens show the add form unfolded; CSS does it too where ::details-content is known.
// There "Save a link" is the panel's heading: no stop for the keyboard, and nothing that folds it.
const addFold = document.getElementById('add-fold');
const wideScreen = window.matchMedia('(min-width: 761px)');
if (addFold instanceof HTMLDetailsElement) {
  const summary = addFold.querySelector('summary');
  const fitToScreen = () => {
    if (wideScreen.matches) addFold.open = true;
    if (summary) summary.tabIndex = wideScreen.matches ? -1 : 0;
  };
  fitToScreen();
  wideScreen.addEventListener('change', fitToScreen);
  addFold.addEventListener('toggle', () => {
    if (wideScreen.matches && !addFold.open) addFold.open = true;
  });
}

// The keyboard stays in the list when a swap takes away what had focus. (An edit's Save and
// Cancel answer with autofocus on the card's Edit.) A delete moves it to the Edit of the next
// card shown as a card, or the one before, or the search box once none is left, while the card
// fades out.
const editOf = (card) => card?.querySelector('.card-actions a');
// A delete went through only with a 2xx: htmx counts a refusal it swaps (429, its notice) as successful.
const wentThrough = (xhr) => xhr.status >= 200 && xhr.status < 300;
/** Where the keyboard goes when `card` leaves the list: the Edit of the next card, or the one before, or the search box. */
function focusAfter(card) {
  const sibling = (step) => {
    for (let next = card?.[step]; next; next = next[step]) {
      const edit = editOf(next);
      if (edit) return edit;
    }
    return null;
  };
  return sibling('nextElementSibling') ?? sibling('previousElementSibling') ?? document.getElementById('search-input');
}
document.addEventListener('htmx:afterRequest', (event) => {
  const source = event.detail.elt;
  if (!wentThrough(event.detail.xhr) || !(source instanceof Element) || !source.matches('button[hx-delete]')) return;
  const next = focusAfter(source.closest('li.card'));
  if (next instanceof HTMLElement) next.focus();
});
// The same for a card an answer takes away out of band (deleted in another tab: its Cancel or Delete answered 404).
let focusAfterRemoval = null;
document.addEventListener('htmx:oobBeforeSwap', (event) => {
  const { target } = event.detail;
  if (target instanceof Element && target.matches('li.card') && target.contains(document.activeElement)) focusAfterRemoval = focusAfter(target);
});
// After the answer's own swap (its notice), which htmx makes once the out-of-band ones are done.
document.addEventListener('htmx:afterSwap', () => {
  if (focusAfterRemoval instanceof HTMLElement && focusAfterRemoval.isConnected) focusAfterRemoval.focus();
  focusAfterRemoval = null;
});
// An Undo (its toasts swap into the undo region, the list comes out of band with it) moves it to the Edit of
// the card it brought back, or to the search box when the list does not show that card or the
// Undo came too late. A card put back in its place (below) focuses its own Edit as it arrives.
document.addEventListener('htmx:afterSettle', (event) => {
  const source = event.detail.requestConfig?.elt;
  if (!(source instanceof HTMLFormElement) || !source.dataset.restores || !(event.target instanceof Element) || event.target.id !== 'undo-notice') return;
  const restored = document.getElementById(`bookmark-${source.dataset.restores}`);
  if (restored?.classList.contains('card-restoring')) return;
  const next = editOf(restored) ?? document.getElementById('search-input');
  if (next instanceof HTMLElement) next.focus();
});

// An Undo puts the card back where it was and keeps the list as it is, scrolled and with the pages
// loaded since (the list that comes with it out of band starts again at its first page), while a
// neighbour of the deleted card is still there; the count comes from that list. Only the last
// delete's are kept, once it went through: the toast offers to undo that one alone.
let lastDeleted = null;
// Deletes and Undos under way, by their request; the answer being swapped, whose out-of-band parts come first.
const deleting = new WeakMap();
const restoring = new WeakMap();
let answering = null;
document.addEventListener('htmx:beforeRequest', (event) => {
  const source = event.detail.elt;
  if (!(source instanceof Element)) return;
  const card = source.matches('button[hx-delete]') ? source.closest('li.card') : null;
  if (card) deleting.set(event.detail.xhr, { id: card.id, next: card.nextElementSibling, previous: card.previousElementSibling });
  if (source instanceof HTMLFormElement && source.dataset.restores) restoring.set(event.detail.xhr, `bookmark-${source.dataset.restores}`);
});
// Refused (429) or failed, the delete leaves the toast's Undo where it was, for the delete before.
document.addEventListener('htmx:afterRequest', (event) => {
  const deleted = deleting.get(event.detail.xhr);
  if (deleted && wentThrough(event.detail.xhr)) lastDeleted = deleted;
});
document.addEventListener('htmx:beforeSwap', (event) => {
  answering = event.detail.xhr;
});
// The list that comes out of band: an Undo's puts its card back in place instead, when it can; any other keeps open edits.
document.addEventListener('htmx:oobBeforeSwap', (event) => {
  const { target, fragment } = event.detail;
  if (!(target instanceof Element) || target.id !== 'bookmark-list' || !fragment) return;
  if (!putBackInPlace(event, restoring.get(answering))) keepOpenEdits(target, fragment);
});
/** Whether the Undo's card went back beside its neighbour, the list left as it is (the out-of-band one skipped). */
function putBackInPlace(event, id) {
  if (!id || document.getElementById(id)) return false;
  const cards = document.getElementById('bookmark-cards');
  const { next, previous } = lastDeleted?.id === id ? lastDeleted : {};
  const neighbour = [next, previous].find((element) => element?.isConnected && element.parentElement === cards);
  if (!neighbour) return false;
  event.detail.shouldSwap = false;
  const { fragment } = event.detail;
  const summary = fragment.querySelector('#list-summary');
  if (summary) document.getElementById('list-summary')?.replaceWith(summary);
  const place = document.createElement('li');
  place.id = id;
  place.className = 'card card-restoring';
  if (neighbour === next) neighbour.before(place);
  else neighbour.after(place);
  lastDeleted = null;
  // The card's own fragment, asked for here so that an error answer (gone again, the network) is not swapped into the
  // list as htmx swaps errors elsewhere: then the place goes and the search form reads the list again whole.
  const readListAgain = () => {
    place.remove();
    window.htmx.trigger('#search-form', 'submit');
  };
  fetch(`/bookmarks/${id.slice('bookmark-'.length)}`, { headers: { 'HX-Request': 'true' } })
    .then(async (response) => {
      if (!response.ok) return readListAgain();
      // Signed out meanwhile: to the sign-in page, as htmx would go.
      const redirect = response.headers.get('HX-Redirect');
      if (redirect) return window.location.assign(redirect);
      const card = await response.text();
      if (place.isConnected) window.htmx.swap(place, card, { swapStyle: 'outerHTML' });
    })
    .catch(readListAgain);
  return true;
}

document.addEventListener('click', (event) => {
  const target = event.target instanceof Element ? event.target : null;
  if (target?.closest('[data-action="close-window"]')) window.close();
  // The bookmarklet runs from the bookmarks bar; clicked here, the CSP would stop it.
  if (target?.closest('a.bookmarklet')) {
    event.preventDefault();
    const hint = document.getElementById('bookmarklet-hint');
    if (hint) hint.textContent = 'Drag the button to your bookmarks bar, then click it there on any page.';
  }
});

// Last, after the handlers above have placed it: any other swap that takes away what the keyboard
// was on (a tag on a card followed, "Load more" reached by Tab and replaced by the next cards, a
// token revoked, the list of tokens redrawn) would leave it on <body>, to start over from the top: it
// goes to the first of the new cards, else to the token form or the search box, whichever the
// swapped part belongs to. Only keyboard focus (:focus-visible): a tap must not open a phone's keyboard.
let focusLostIn = null;
document.addEventListener('htmx:beforeSwap', (event) => {
  const { target } = event.detail;
  const active = document.activeElement;
  focusLostIn = target instanceof Element && active instanceof Element && active.matches(':focus-visible') && target.contains(active)
    ? { target, before: target.previousElementSibling, parent: target.parentElement }
    : null;
});
document.addEventListener('htmx:afterSettle', () => {
  const lost = focusLostIn;
  focusLostIn = null;
  if (!lost || (document.activeElement && document.activeElement !== document.body)) return;
  const firstNewCard = lost.before ? lost.before.nextElementSibling : lost.parent?.firstElementChild;
  const next = (lost.target.matches('li.load-more') && firstNewCard?.matches('li.card') ? firstNewCard.querySelector('a.card-title') : null)
    ?? (lost.target.matches('#token-panel') || lost.parent?.closest('#token-panel') ? document.getElementById('token-name') : null)
    ?? document.getElementById('search-input');
  if (next instanceof HTMLElement) next.focus();
});
