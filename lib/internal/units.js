'use strict';
// The one unit system for every byte figure leakguard shows (the text report,
// the `leakguard run` status line, the HTML report, the docs): SI decimal
// units, B, kB, MB, GB (1 MB = 1 000 000 bytes), as `ls -h --si`, npm and
// most dashboards print them. Rates are per second with an explicit sign.

function finite(v) {
  return typeof v === 'number' && Number.isFinite(v);
}

/** `bytes` as "812 B", "4.2 kB", "104.9 MB", "1.25 GB"; `missing` when not a finite number. */
function formatBytes(bytes, missing = '—') {
  if (!finite(bytes)) return missing;
  const abs = Math.abs(bytes);
  if (abs >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (abs >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (abs >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${Math.round(bytes)} B`;
}

/** A signed rate: "+1.6 MB/s", "−812 B/s"; `missing` when not a finite number. */
function formatRate(bytesPerSec, missing = '—') {
  if (!finite(bytesPerSec)) return missing;
  return `${bytesPerSec >= 0 ? '+' : '−'}${formatBytes(Math.abs(bytesPerSec))}/s`;
}

module.exports = { formatBytes, formatRate, MB: 1e6 };
