// One line of a CRI container log file: `<RFC3339Nano time> <stdout|stderr> <P|F>[:more tags] <content>`.
// P marks a partial record (the runtime cut a long line); the line goes on in the next record of
// the same stream and ends with an F record. Content stays bytes: a cut may split a UTF-8 character.
import { Buffer } from 'node:buffer';

export type LogStream = 'stdout' | 'stderr';

export interface CriLogRecord {
  /** The timestamp as the runtime wrote it. */
  timestamp: string;
  /** Milliseconds since the epoch (for --since). */
  time: number;
  stream: LogStream;
  partial: boolean;
  content: Buffer;
}

const SPACE = 0x20;
const TIMESTAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;

/** Parses one line (without its newline); throws on a line that is not in the CRI format. */
export function parseCriLogLine(line: Buffer): CriLogRecord {
  const s1 = line.indexOf(SPACE);
  if (s1 < 0) throw new Error('no timestamp delimiter');
  const timestamp = line.toString('latin1', 0, s1);
  const time = Date.parse(timestamp);
  if (!TIMESTAMP.test(timestamp) || Number.isNaN(time)) throw new Error(`bad timestamp "${timestamp}"`);
  const s2 = line.indexOf(SPACE, s1 + 1);
  if (s2 < 0) throw new Error('no stream delimiter');
  const stream = line.toString('latin1', s1 + 1, s2);
  if (stream !== 'stdout' && stream !== 'stderr') throw new Error(`bad stream "${stream}"`);
  // Some writers leave out the space before empty content.
  const s3 = line.indexOf(SPACE, s2 + 1);
  const tags = line.toString('latin1', s2 + 1, s3 < 0 ? line.length : s3).split(':');
  if (tags[0] !== 'P' && tags[0] !== 'F') throw new Error(`bad tag "${tags.join(':')}"`);
  return {
    timestamp,
    time,
    stream,
    partial: tags[0] === 'P',
    content: s3 < 0 ? Buffer.alloc(0) : line.subarray(s3 + 1),
  };
}

/** The kubelet's output form of a log timestamp: nine fractional digits, the zone as written. */
export function formatLogTimestamp(timestamp: string): string {
  const m = TIMESTAMP.exec(timestamp);
  if (!m) return timestamp;
  return `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}${m[3]}`;
}
