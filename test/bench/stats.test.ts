import { distribution, median, percentile } from '../../bench/stats';

const oneToHundred = Array.from({ length: 100 }, (_, i) => i + 1);

test('percentiles are nearest-rank: a quoted p99 is a latency that was measured, never an interpolation', () => {
  expect([percentile(oneToHundred, 50), percentile(oneToHundred, 90), percentile(oneToHundred, 99)]).toEqual([50, 90, 99]);
  expect(percentile([3, 8], 50)).toBe(3);
});

test('the distribution sorts its samples and keeps the worst one', () => {
  const shuffled = [...oneToHundred].reverse();
  expect(distribution(shuffled)).toEqual({ n: 100, p50: 50, p90: 90, p99: 99, max: 100 });
});

test('the median of an odd number of timings is the middle one, whatever their order', () => {
  expect(median([40, 10, 30, 20, 50])).toBe(30);
});

test('a percentile of no samples is an error, not NaN in the table', () => {
  expect(() => percentile([], 50)).toThrow('percentile of no samples');
});
