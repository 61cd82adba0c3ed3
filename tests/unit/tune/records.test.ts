import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parseRecords, readRecords, recordLine, RecordWriter } from '../../../codegen/tune/records.js';
import { fakeDevice, fakeRecord, mm } from './fake-records.js';

const dir = mkdtempSync(join(tmpdir(), 'vitc-tune-db-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const dbPath = () => join(dir, `db${files++}.jsonl`);

const device = fakeDevice();
const sample = (i: number) => fakeRecord(device, `key${i % 3}`, mm(2 ** (i % 5), 4), 1 + i / 10, { trial: i, isDefault: i === 0, phase: i === 0 ? 'default' : 'search' });

test('records round-trip through the database file', () => {
  const path = dbPath();
  const w = new RecordWriter(path);
  const written = [sample(0), sample(1), fakeRecord(device, 'key9', mm(1, 1), null, { status: 'wrong', message: 'element 3: got 1, expected 2' })];
  for (const r of written) w.append(r);
  const warnings: string[] = [];
  const read = readRecords(path, (m) => warnings.push(m));
  assert.deepEqual(read, written);
  assert.deepEqual(warnings, []);
  // One line per record.
  assert.equal(readFileSync(path, 'utf8').split('\n').filter(Boolean).length, 3);
  assert.deepEqual(readRecords(join(dir, 'missing.jsonl')), []);
});

test('a truncated last line is skipped with a warning, and later appends stay readable', () => {
  const path = dbPath();
  const w = new RecordWriter(path);
  for (let i = 0; i < 3; i++) w.append(sample(i));
  const full = readFileSync(path, 'utf8').length;
  // A tuner killed in the middle of writing its third record.
  truncateSync(path, full - 25);
  const warnings: string[] = [];
  assert.deepEqual(readRecords(path, (m) => warnings.push(m)), [sample(0), sample(1)]);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /:3: .*truncated/);
  // The next tuner starts on a new line: its record is intact.
  new RecordWriter(path).append(sample(3));
  const after = readRecords(path, () => undefined);
  assert.deepEqual(after, [sample(0), sample(1), sample(3)]);
});

test('a record appended right after a partial line (no newline in between) is recovered', () => {
  const path = dbPath();
  const line = recordLine(sample(4));
  writeFileSync(path, `${recordLine(sample(0))}\n${line.slice(0, 40)}${recordLine(sample(5))}\n`);
  const warnings: string[] = [];
  assert.deepEqual(readRecords(path, (m) => warnings.push(m)), [sample(0), sample(5)]);
  assert.match(warnings.join('\n'), /:2: skipped a truncated record/);
});

test('corrupt lines are skipped with a warning each', () => {
  const text = [recordLine(sample(0)), 'not json at all', '{"format":"something-else"}', JSON.stringify({ ...sample(1), status: 'maybe' }), '', recordLine(sample(2))].join('\n');
  const warnings: string[] = [];
  assert.deepEqual(parseRecords(text, 'db', (m) => warnings.push(m)), [sample(0), sample(2)]);
  assert.deepEqual(
    warnings.map((w) => w.split(':')[1]),
    ['2', '3', '4'],
  );
});

const WRITER = `
import { RecordWriter } from ${JSON.stringify(new URL('../../../codegen/tune/records.js', import.meta.url).href)};
const [path, id, count] = process.argv.slice(1);
const w = new RecordWriter(path);
const device = JSON.parse(process.env.DEVICE);
for (let i = 0; i < Number(count); i++)
  w.append({ format: 'vitc-tune-record/1', key: 'k' + id, kind: 'reduce', workload: 'x'.repeat(3000), device, schedule: { kind: 'reduce', wg: i + 1 },
    status: 'ok', medianMs: i, minMs: i, samples: 1, method: 'host', pruned: false, isDefault: false, phase: 'search', run: id, trial: i, at: new Date().toISOString(), vitc: 't' });
`;

function writer(path: string, id: string, count: number): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', WRITER, path, id, String(count)], { env: { ...process.env, DEVICE: JSON.stringify(device) }, stdio: 'ignore' });
    child.on('exit', (code) => resolve(code));
  });
}

test('concurrent writers never interleave their lines', async () => {
  const path = dbPath();
  const codes = await Promise.all([writer(path, 'a', 150), writer(path, 'b', 150), writer(path, 'c', 150)]);
  assert.deepEqual(codes, [0, 0, 0]);
  const warnings: string[] = [];
  const read = readRecords(path, (m) => warnings.push(m));
  assert.deepEqual(warnings, []);
  for (const id of ['a', 'b', 'c']) {
    const mine = read.filter((r) => r.run === id);
    assert.deepEqual(mine.map((r) => r.trial), Array.from({ length: 150 }, (_, i) => i), `writer ${id} lost or reordered records`);
  }
});

test('a killed writer loses at most the record in flight', async () => {
  const path = dbPath();
  const child = spawn(process.execPath, ['--input-type=module', '-e', WRITER, path, 'k', '100000'], { env: { ...process.env, DEVICE: JSON.stringify(device) }, stdio: 'ignore' });
  // Kill it once it has written something.
  for (let i = 0; i < 200 && !(readFileSync(path, { flag: 'a+' }).length > 50_000); i++) await new Promise((r) => setTimeout(r, 20));
  child.kill('SIGKILL');
  await new Promise((r) => child.on('exit', r));
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n').filter(Boolean);
  const read = readRecords(path, () => undefined);
  assert.ok(read.length >= lines.length - 1, `${read.length} records from ${lines.length} lines`);
  assert.deepEqual(read.map((r) => r.trial), Array.from({ length: read.length }, (_, i) => i));
  // And the database keeps working.
  appendFileSync(path, '');
  new RecordWriter(path).append(sample(7));
  assert.deepEqual(readRecords(path, () => undefined).at(-1), sample(7));
});
