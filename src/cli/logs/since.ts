// --since, as crictl takes it: a Go duration back from now ("5m", "1h30m", "250ms"), an RFC 3339
// time (the zone may be left out: local time, as docker's and crictl's parser read it), a date,
// or Unix seconds with an optional fraction.

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h)/;
const LOCAL_TIME = /^\d{4}-\d\d-\d\d(?:T\d\d:\d\d(?::\d\d(?:\.\d+)?)?)?$/;
const ZONED_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:\d\d)$/i;

/** A Go-style duration in milliseconds, or undefined when the text is not one. */
export function parseGoDuration(text: string): number | undefined {
  let rest = text.trim();
  if (rest === '0') return 0;
  if (rest === '') return undefined;
  let total = 0;
  while (rest !== '') {
    const m = DURATION.exec(rest);
    if (!m) return undefined;
    const unit = /(ns|us|µs|ms|s|m|h)$/.exec(m[0])![1]!;
    total += Number(m[0].slice(0, m[0].length - unit.length)) * UNIT_MS[unit]!;
    rest = rest.slice(m[0].length);
  }
  return total;
}

/** The --since value as milliseconds since the epoch; throws a usage error on anything else. */
export function parseSince(value: string, now: number = Date.now()): number {
  const text = value.trim();
  const d = parseGoDuration(text);
  if (d !== undefined) return now - d;
  if (/^\d+(?:\.\d+)?$/.test(text)) return Number(text) * 1000;
  if (LOCAL_TIME.test(text)) {
    // JavaScript reads a bare date as UTC and a date-time as local time: make both local.
    const t = Date.parse(text.includes('T') ? text : `${text}T00:00:00`);
    if (!Number.isNaN(t)) return t;
  }
  if (ZONED_TIME.test(text)) {
    const t = Date.parse(text.toUpperCase());
    if (!Number.isNaN(t)) return t;
  }
  throw new Error(`bad --since "${value}": use a duration such as 5m or 1h30m, or a time such as 2024-01-02T13:23:37Z`);
}
