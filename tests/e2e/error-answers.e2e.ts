import { describe, expect, it } from 'vitest';
import { addBookmark, bookmarkIdOf, cardTitles, settled, uniqueUser, useStack } from './harness.js';

const { session: current } = useStack();

/** What nginx answers while the app behind it restarts. */
const BAD_GATEWAY = '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>';

describe('an error answer from something in front of the app', () => {
  it('a proxy’s 502 page to an Edit takes neither the card’s place nor the list’s: a notice says to try again', async () => {
    const session = current();
    const page = await session.signedInPage(uniqueUser('gateway'));
    await addBookmark(page, { url: 'https://htmx.org/', title: 'htmx', tags: 'hypermedia' });
    await settled(page);
    const id = await bookmarkIdOf(page, 'htmx');
    session.expectErrorStatus(502, `/bookmarks/${id}/edit`);
    await page.route(
      (url) => url.pathname === `/bookmarks/${id}/edit`,
      (route) => route.fulfill({ status: 502, contentType: 'text/html', body: BAD_GATEWAY }),
    );
    await page.getByRole('link', { name: 'Edit htmx' }).click();
    await page.locator('#notice [role="alert"]').waitFor();
    expect(await page.locator('#notice').textContent()).toMatch(/try again/i);
    expect(await page.locator('#bookmark-list').textContent()).not.toContain('Bad Gateway');
    expect(await cardTitles(page)).toEqual(['htmx']);

    // Once the app answers again, the same Edit opens the card for editing.
    await page.unrouteAll({ behavior: 'wait' });
    await page.getByRole('link', { name: 'Edit htmx' }).click();
    await page.locator('form.bookmark-edit').waitFor();
  });
});
