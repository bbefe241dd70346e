/**
 * Progress on a terminal: one line redrawn in place (bar, amount, rate, ETA).
 * Elsewhere (a pipe, a log): a plain line now and then. Never on stdout.
 */
export interface Progress {
  update(done: number, total: number | undefined, perSecond: number): void;
  end(summary?: string): void;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    ++unit;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${Math.ceil(seconds)}s`;
  return `${Math.floor(seconds / 60)}m${String(Math.ceil(seconds % 60)).padStart(2, '0')}s`;
}

export function createProgress(
  label: string,
  unit: 'bytes' | 'images',
  { quiet = false, stream = process.stderr, interval = 2000 }: { quiet?: boolean; stream?: NodeJS.WriteStream; interval?: number } = {},
): Progress {
  const tty = Boolean(stream.isTTY);
  let last = 0;
  let drawn = false;
  const amount = (n: number): string => (unit === 'bytes' ? formatBytes(n) : `${n}`);
  const rate = (r: number): string => (unit === 'bytes' ? `${formatBytes(r)}/s` : `${r.toFixed(1)} images/s`);
  const line = (done: number, total: number | undefined, perSecond: number): string => {
    const eta = total !== undefined && perSecond > 0 ? `, ETA ${formatSeconds((total - done) / perSecond)}` : '';
    const of = total !== undefined ? ` of ${amount(total)}${unit === 'images' ? ' images' : ''} (${Math.floor((100 * done) / Math.max(total, 1))}%)` : '';
    return `${label}: ${amount(done)}${of}, ${rate(perSecond)}${eta}`;
  };
  return {
    update(done, total, perSecond) {
      if (quiet) return;
      const now = Date.now();
      if (tty) {
        if (now - last < 100 && done !== total) return;
        last = now;
        const width = 24;
        const filled = total ? Math.round((width * done) / Math.max(total, 1)) : 0;
        const bar = total ? `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ` : '';
        stream.write(`\r\x1b[K${bar}${line(done, total, perSecond)}`);
        drawn = true;
      } else if (now - last >= interval) {
        last = now;
        stream.write(`${line(done, total, perSecond)}\n`);
      }
    },
    end(summary) {
      if (quiet) return;
      if (tty && drawn) stream.write('\r\x1b[K');
      if (summary) stream.write(`${summary}\n`);
    },
  };
}
