import { describe, expect, it } from 'vitest';
import { billingPeriodAt, nextBillingPeriod } from '../src/index.js';

const at = (y: number, m: number, d: number, h = 0) => Date.UTC(y, m - 1, d, h);

describe('billing periods', () => {
  it('calendar months in UTC', () => {
    expect(billingPeriodAt(at(2026, 1, 1), null)).toEqual({ start: at(2026, 1, 1), end: at(2026, 2, 1) });
    expect(billingPeriodAt(at(2026, 1, 31, 23), null)).toEqual({
      start: at(2026, 1, 1),
      end: at(2026, 2, 1),
    });
    expect(billingPeriodAt(at(2026, 12, 31, 23), null)).toEqual({
      start: at(2026, 12, 1),
      end: at(2027, 1, 1),
    });
    expect(billingPeriodAt(at(2026, 2, 1) - 1, null)).toEqual({ start: at(2026, 1, 1), end: at(2026, 2, 1) });
  });

  it('anniversary day 31 clamps to each month end', () => {
    expect(billingPeriodAt(at(2026, 1, 31), 31)).toEqual({ start: at(2026, 1, 31), end: at(2026, 2, 28) });
    expect(billingPeriodAt(at(2026, 2, 27), 31)).toEqual({ start: at(2026, 1, 31), end: at(2026, 2, 28) });
    expect(billingPeriodAt(at(2026, 2, 28), 31)).toEqual({ start: at(2026, 2, 28), end: at(2026, 3, 31) });
    expect(billingPeriodAt(at(2026, 4, 30, 5), 31)).toEqual({ start: at(2026, 4, 30), end: at(2026, 5, 31) });
    expect(billingPeriodAt(at(2028, 2, 29), 31)).toEqual({ start: at(2028, 2, 29), end: at(2028, 3, 31) });
    expect(billingPeriodAt(at(2028, 2, 28), 30)).toEqual({ start: at(2028, 1, 30), end: at(2028, 2, 29) });
  });

  it('anniversary day across a year end', () => {
    expect(billingPeriodAt(at(2027, 1, 3), 15)).toEqual({ start: at(2026, 12, 15), end: at(2027, 1, 15) });
    expect(billingPeriodAt(at(2026, 12, 15), 15)).toEqual({ start: at(2026, 12, 15), end: at(2027, 1, 15) });
  });

  it('periods tile time with no gap or overlap, for every anchor', () => {
    for (const anchor of [null, 1, 15, 28, 29, 30, 31]) {
      let p = billingPeriodAt(at(2026, 1, 1), anchor);
      for (let i = 0; i < 40; i++) {
        const next = billingPeriodAt(p.end, anchor);
        expect(next.start).toBe(p.end);
        expect(next.end).toBeGreaterThan(next.start);
        expect(billingPeriodAt(p.end - 1, anchor)).toEqual(p);
        p = next;
      }
    }
  });

  it('the next period after an anchor change starts where the old one ended', () => {
    expect(nextBillingPeriod(at(2026, 2, 1), 15, at(2026, 2, 1))).toEqual({
      start: at(2026, 2, 1),
      end: at(2026, 2, 15),
    });
    expect(nextBillingPeriod(at(2026, 5, 20), null, at(2026, 2, 1))).toEqual({
      start: at(2026, 5, 1),
      end: at(2026, 6, 1),
    });
  });
});
