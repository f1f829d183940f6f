// Byte counts the way crictl prints them (docker/go-units HumanSizeWithPrecision): decimal
// units, three significant digits, no space: "1.41MB", "4.1kB", "512B".
const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

export function humanSize(bytes: number, precision = 3): string {
  let size = bytes;
  let i = 0;
  while (size >= 1000 && i < UNITS.length - 1) {
    size /= 1000;
    i++;
  }
  // %.*g: significant digits, trailing zeros dropped.
  return `${Number(size.toPrecision(precision))}${UNITS[i]}`;
}

/** A transfer rate, e.g. "12.3MB/s". */
export function humanRate(bytes: number, ms: number): string {
  return ms > 0 ? `${humanSize((bytes * 1000) / ms)}/s` : '-';
}
