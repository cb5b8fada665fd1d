// Pure: a CSV dataset -> {X, Y, columns}. No DOM.
// The header names the columns: x1, x2, … are inputs and y (or y1, y2, …)
// targets, in any order; without a header, the last column is y.
// Separators: comma, semicolon or tab. Blank lines and lines starting with #
// are skipped. Every value must be a finite number.

export function parseCsv(text) {
  const lines = String(text).split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  if (!lines.length) throw new Error('the CSV file is empty');
  const sep = lines[0].includes(';') ? ';' : lines[0].includes('\t') ? '\t' : ',';
  const split = (line) => line.split(sep).map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
  const first = split(lines[0]);
  const hasHeader = first.some((c) => c !== '' && !Number.isFinite(Number(c)));
  let columns = hasHeader ? first.map((c) => c.toLowerCase()) : first.map((_, i) => (i === first.length - 1 ? 'y' : `x${i + 1}`));
  if (columns.length < 2) throw new Error('the CSV needs at least two columns (x1, …, y)');
  const xCols = [];
  const yCols = [];
  columns.forEach((name, i) => {
    if (/^y\*?\d*$/.test(name) || name === 'target' || name === 'label') yCols.push(i);
    else if (/^x\d*$/.test(name)) xCols.push(i);
  });
  if (!yCols.length || !xCols.length) {
    // Unrecognised header: inputs first, target last.
    xCols.length = 0;
    yCols.length = 0;
    columns.forEach((_, i) => (i === columns.length - 1 ? yCols : xCols).push(i));
    columns = columns.map((c, i) => (yCols.includes(i) ? `${c} (y)` : c));
  }
  const X = [];
  const Y = [];
  const rows = hasHeader ? lines.slice(1) : lines;
  rows.forEach((line, r) => {
    const cells = split(line);
    if (cells.length !== first.length) {
      throw new Error(`CSV line ${r + (hasHeader ? 2 : 1)}: ${cells.length} values, expected ${first.length}`);
    }
    const nums = cells.map(Number);
    const bad = nums.findIndex((v, i) => cells[i] === '' || !Number.isFinite(v));
    if (bad >= 0) throw new Error(`CSV line ${r + (hasHeader ? 2 : 1)}: "${cells[bad]}" is not a number`);
    X.push(xCols.map((i) => nums[i]));
    Y.push(yCols.map((i) => nums[i]));
  });
  if (!X.length) throw new Error('the CSV has a header but no rows');
  return { X, Y, columns };
}
