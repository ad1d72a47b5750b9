// read.mjs — reads a Parquet file with hyparquet, the browser Parquet reader
// the site vendors (site/static/vendor/hyparquet/), and prints it as one JSON
// document. Go tests use it as a second, independent Parquet implementation.
//
// Usage: node read.mjs [--geojson] FILE.parquet
//
// Output (stdout, one JSON document):
//
//	{
//	  "metadata": {"key": "value", …},   file key-value metadata (a key without a value: null)
//	  "num_rows": N,
//	  "row_groups": [{"num_rows": n, "columns": {"dotted.path": {"min": …, "max": …, "null_count": …}}}],
//	  "schema": ["top-level column", …],
//	  "rows": [{"column": value, …}, …]
//	}
//
// Values are made JSON-safe the same way in rows and statistics:
//   - INT64 (BigInt): a number when it is a safe integer, else a decimal string;
//   - binary (BYTE_ARRAY without a string annotation, FIXED_LEN_BYTE_ARRAY):
//     base64 (standard, padded) — rows are read with utf8: false so that
//     unannotated binary is never decoded as text;
//   - timestamps: ISO 8601 UTC strings with the column's full precision:
//     3 fractional digits for millis, 6 for micros, 9 for nanos
//     ("2024-01-02T03:04:05.123456Z"); DATE: Date.toISOString();
//   - non-finite floats: the strings "NaN", "Infinity", "-Infinity";
//   - null values, and statistics that are absent: null.
// Statistics are min_value/max_value of each column chunk's statistics, or the
// deprecated min/max when those are absent.
//
// GeoParquet: by default, geometry columns are read as raw WKB (base64). With
// --geojson, hyparquet's own GeoParquet support decodes the columns that the
// "geo" metadata lists with encoding WKB into GeoJSON geometry objects.
//
// hyparquet reads uncompressed and Snappy-compressed pages only (other codecs
// need the hyparquet-compressors package, which is not vendored): a file with
// another codec makes this script fail. Needs Node.js ≥ 20.19 (the vendored
// files are ES modules in a folder without a package.json).
import { readFileSync } from 'node:fs'
import { parquetMetadata, parquetReadObjects, parquetSchema } from '../../../site/static/vendor/hyparquet/index.js'

function usage(msg) {
  if (msg) process.stderr.write(`read.mjs: ${msg}\n`)
  process.stderr.write('usage: node read.mjs [--geojson] FILE.parquet\n')
  process.exit(2)
}

let geojson = false
const positional = []
for (const arg of process.argv.slice(2)) {
  if (arg === '--geojson') geojson = true
  else if (arg.startsWith('--')) usage(`unknown flag ${arg}`)
  else positional.push(arg)
}
if (positional.length !== 1) usage('give exactly one Parquet file')

// isoTimestamp renders an integer count of 1/perSecond seconds since the Unix
// epoch as an ISO 8601 UTC string with `digits` fractional digits (floor
// division, so instants before 1970 are right too).
function isoTimestamp(value, perSecond, digits) {
  if (value === undefined || value === null) return null
  const v = BigInt(value)
  let seconds = v / perSecond
  let fraction = v % perSecond
  if (fraction < 0n) {
    seconds -= 1n
    fraction += perSecond
  }
  const date = new Date(Number(seconds) * 1000)
  if (Number.isNaN(date.getTime())) return v.toString() // outside Date's range
  // toISOString ends in ".000Z" as the date holds whole seconds.
  return `${date.toISOString().slice(0, -5)}.${fraction.toString().padStart(digits, '0')}Z`
}

const timestampParsers = {
  timestampFromMilliseconds: (v) => isoTimestamp(v, 1000n, 3),
  timestampFromMicroseconds: (v) => isoTimestamp(v, 1000000n, 6),
  timestampFromNanoseconds: (v) => isoTimestamp(v, 1000000000n, 9),
}

// Raw holds the bytes of a BYTE_ARRAY statistic, whose meaning (text or
// binary) depends on the column's annotation; hyparquet would decode it as
// UTF-8 whatever the column.
class Raw {
  constructor(bytes) {
    this.bytes = bytes
  }
}

const minSafe = BigInt(Number.MIN_SAFE_INTEGER)
const maxSafe = BigInt(Number.MAX_SAFE_INTEGER)
const utf8 = new TextDecoder('utf-8', { fatal: true })
const base64 = (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')

// json makes a value read by hyparquet JSON-safe (see the header).
function json(v) {
  if (v === null || v === undefined) return null
  switch (typeof v) {
    case 'bigint':
      return v >= minSafe && v <= maxSafe ? Number(v) : v.toString()
    case 'number':
      return Number.isFinite(v) ? v : String(v)
    case 'string':
    case 'boolean':
      return v
    case 'object':
      break
    default:
      throw new Error(`unexpected ${typeof v} value`)
  }
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString()
  if (v instanceof Uint8Array) return base64(v)
  if (ArrayBuffer.isView(v)) return Array.from(v, json) // other typed arrays
  if (Array.isArray(v)) return v.map(json)
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), json(x)]))
  if (v instanceof Raw) throw new Error('unexpected raw statistic')
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, json(x)]))
}

const TEXT_CONVERTED = new Set(['UTF8', 'JSON', 'ENUM'])
const TEXT_LOGICAL = new Set(['STRING', 'JSON', 'ENUM'])

// statistic makes a min/max statistic of a leaf column JSON-safe.
function statistic(v, element) {
  if (v instanceof Raw) {
    const text = TEXT_CONVERTED.has(element.converted_type) || TEXT_LOGICAL.has(element.logical_type?.type)
    return text ? utf8.decode(v.bytes) : base64(v.bytes)
  }
  return json(v)
}

async function main(path) {
  const data = readFileSync(path)
  const file = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)

  // The footer, parsed for the statistics: BYTE_ARRAY values kept as bytes,
  // no GeoParquet typing (geometry statistics stay WKB).
  const meta = parquetMetadata(file, {
    geoparquet: false,
    parsers: { ...timestampParsers, stringFromBytes: (bytes) => bytes && new Raw(bytes) },
  })
  const leaves = meta.schema.filter((e) => e.type) // leaf elements, in column chunk order

  const metadata = {}
  for (const { key, value } of meta.key_value_metadata ?? []) metadata[key] = value ?? null

  const rowGroups = meta.row_groups.map((group) => {
    const columns = {}
    group.columns.forEach((chunk, i) => {
      const md = chunk.meta_data
      if (!md) throw new Error(`column chunk ${i} has no meta_data (stored in ${chunk.file_path ?? 'another file'})`)
      const s = md.statistics ?? {}
      const pick = (a, b) => statistic(a !== undefined ? a : b, leaves[i])
      columns[md.path_in_schema.join('.')] = {
        min: pick(s.min_value, s.min),
        max: pick(s.max_value, s.max),
        null_count: json(s.null_count),
      }
    })
    return { num_rows: json(group.num_rows), columns }
  })

  const rows = await parquetReadObjects({
    file,
    utf8: false,
    geoparquet: geojson,
    parsers: timestampParsers,
  })

  const doc = {
    metadata,
    num_rows: json(meta.num_rows),
    row_groups: rowGroups,
    schema: parquetSchema(meta).children.map((c) => c.element.name),
    rows: rows.map(json),
  }
  process.stdout.write(JSON.stringify(doc, null, 2) + '\n')
}

main(positional[0]).catch((err) => {
  process.stderr.write(`read.mjs: ${positional[0]}: ${err && err.stack ? err.stack : err}\n`)
  process.exitCode = 1
})
