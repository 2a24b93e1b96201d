/*
 * Dates and counts as pages write them, in English: what Intl writes for 'en' (dates in UTC,
 * dateStyle 'medium', timeStyle 'short'; counts with thousands separators). Written here
 * because the first use of Intl in a process loads ICU's locale data, about 6 MB of every
 * process's resident memory (docs/PERFORMANCE.md), for three fixed formats. Stored dates are
 * after 1970 (imports refuse others), so no era is ever written.
 */
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/** "Dec 1, 2026" */
export function dayLabel(date: Date): string {
  return `${MONTHS[date.getUTCMonth()]} ${date.getUTCDate()}, ${date.getUTCFullYear()}`;
}

/** "Dec 1, 2026, 3:04 PM" */
export function minuteLabel(date: Date): string {
  const hours = date.getUTCHours();
  return `${dayLabel(date)}, ${hours % 12 || 12}:${String(date.getUTCMinutes()).padStart(2, '0')} ${hours < 12 ? 'AM' : 'PM'}`;
}

/** 500000 as "500,000". */
export function countLabel(count: number): string {
  return String(count).replace(/\B(?=(\d{3})+$)/g, ',');
}
