/** A billing period `[start, end)`, in epoch milliseconds. */
export interface BillingPeriod {
  start: number;
  end: number;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
}

// Midnight UTC on `day` of the month, clamped to the month's last day (the 31st becomes the 30th, 28th, …).
function anchorStart(year: number, month: number, day: number): number {
  const y = year + Math.floor(month / 12);
  const m = ((month % 12) + 12) % 12;
  return Date.UTC(y, m, Math.min(day, daysInMonth(y, m)));
}

/**
 * The billing period containing `at`: the calendar month in UTC when `anchorDay` is null, else the month
 * starting on that day of the month at 00:00 UTC, clamped to the month's end (anchor 31 starts on Jan 31,
 * Feb 28 or 29, Mar 31, Apr 30, …).
 */
export function billingPeriodAt(at: number, anchorDay: number | null): BillingPeriod {
  const d = new Date(at);
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth();
  const day = anchorDay ?? 1;
  const thisMonth = anchorStart(year, month, day);
  if (at >= thisMonth) return { start: thisMonth, end: anchorStart(year, month + 1, day) };
  return { start: anchorStart(year, month - 1, day), end: thisMonth };
}

/**
 * The period that follows one ending at `previousEnd`, as seen at `now` (which may be many periods later:
 * the skipped periods had no usage). When the anchor changed, the new period starts where the old one ended.
 */
export function nextBillingPeriod(now: number, anchorDay: number | null, previousEnd: number): BillingPeriod {
  const p = billingPeriodAt(now, anchorDay);
  return { start: Math.max(p.start, previousEnd), end: p.end };
}
