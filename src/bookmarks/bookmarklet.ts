import { LIMITS } from './validation.js';

/**
 * The bookmarklet on Settings: run on any page, it opens this app's new-bookmark page
 * in a small window for that page's address and title, with the selected text (or the
 * page's meta description) as the description. It runs in the user's browser on the
 * other site; the app still stores only http(s) addresses, and the page it opens
 * checks everything as any form does. Without a popup (blocked), the tab goes there.
 *
 * Written without `%` (a javascript: URL is percent-decoded before it runs) and
 * without relying on anything the page defines but the DOM.
 */
export function bookmarkletCode(appBaseUrl: URL): string {
  const target = JSON.stringify(new URL('/bookmarks/new?', appBaseUrl).href);
  const code = [
    '(function(){',
    // Cut by characters, as the form counts them: a slice of UTF-16 could split an emoji, whose half arrives as U+FFFD.
    'var d=document,s=String(getSelection()).trim(),',
    "m=d.querySelector('meta[name=\"description\" i],meta[property=\"og:description\"]'),",
    'c=function(t,n){return Array.from(t).slice(0,n).join(\'\')},',
    `p=new URLSearchParams({url:location.href,title:c(d.title,${LIMITS.titleLength}),`,
    `description:c(s||(m&&m.content)||'',${LIMITS.descriptionLength}),popup:'1'}),`,
    `u=${target}+p;`,
    "if(!window.open(u,'bookmarks','popup,width=640,height=760'))location.href=u.replace('popup=1','popup=0');",
    '})()',
  ].join('');
  return `javascript:${code}`;
}
