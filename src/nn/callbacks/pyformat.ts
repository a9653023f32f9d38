import { configError, ownEntry } from '../../core/index.js';

/*
 * Python's str.format for ModelCheckpoint's filepath template: `{epoch}`, `{epoch:02d}`,
 * `{val_loss:.2f}`, `{loss:.4e}`, `{{` / `}}`. Ints are formatted as ints, floats as Python floats
 * (repr without a spec, round-half-even on the exact binary value with one).
 */

const SPEC = /^(?:(.)?([<>=^]))?([+\- ])?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([deEfFgG%s])?$/;

/** Exact decimal expansion rounded half-to-even at `digits` places (as Python's 'f'). */
function toFixedEven(x: number, digits: number): string {
  let s = x.toFixed(digits);
  const exact = Math.abs(x).toFixed(Math.min(100, digits + 60));
  const tail = exact.slice(exact.indexOf('.') + 1 + digits);
  if (/^50*$/.test(tail)) {
    // A tie: JS rounds away from zero, Python to even.
    const down = (Math.trunc(Math.abs(x) * 10 ** digits) / 10 ** digits).toFixed(digits);
    const lastDigit = Number(down.replace('.', '').slice(-1));
    if (lastDigit % 2 === 0) s = (x < 0 ? '-' : '') + down;
  }
  return s;
}

function pyExp(mantissa: string, exp: number): string {
  return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

/** Python's repr(float). */
export function pyRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [m, e] = x.toExponential().split('e') as [string, string];
  const exp = Number(e);
  if (exp < -4 || exp >= 16) return pyExp(m, exp);
  const s = String(x); // JS uses fixed notation in this range with the same shortest digits
  return s.includes('.') ? s : `${s}.0`;
}

function formatNumber(value: number, isInt: boolean, spec: string, name: string): string {
  const m = SPEC.exec(spec);
  if (!m) throw configError('ModelCheckpoint', { expected: `invalid format spec ${JSON.stringify(spec)} for {${name}}` });
  const [, fillChar, align, sign = '-', , zero, widthText, grouping, precisionText, type] = m;
  const precision = precisionText === undefined ? undefined : Number(precisionText);
  let body: string;
  const abs = Math.abs(value);
  const negative = value < 0 || Object.is(value, -0);
  switch (type) {
    case 'd':
      if (!isInt) {
        throw configError('ModelCheckpoint', {
          expected: `format code 'd' needs an integer, but {${name}} is ${value} (a float)`,
          hint: `use e.g. {${name}:.4f}`,
        });
      }
      body = String(abs);
      break;
    case 'f':
    case 'F':
      body = Number.isFinite(abs) ? toFixedEven(abs, precision ?? 6) : abs === Infinity ? 'inf' : 'nan';
      break;
    case '%':
      body = `${toFixedEven(abs * 100, precision ?? 6)}%`;
      break;
    case 'e':
    case 'E': {
      const [mm, e] = abs.toExponential(precision ?? 6).split('e') as [string, string];
      body = pyExp(mm, Number(e));
      if (type === 'E') body = body.toUpperCase();
      break;
    }
    case 'g':
    case 'G': {
      const p = Math.max(precision ?? 6, 1);
      if (abs === 0) {
        body = '0';
        break;
      }
      const exp = Number(abs.toExponential(p - 1).split('e')[1]);
      if (exp >= -4 && exp < p) body = toFixedEven(abs, p - 1 - exp).replace(/\.?0+$/, '');
      else {
        const [mm, e] = abs.toExponential(p - 1).split('e') as [string, string];
        body = pyExp(mm.includes('.') ? mm.replace(/\.?0+$/, '') : mm, Number(e));
      }
      break;
    }
    default:
      body = isInt ? String(abs) : precision !== undefined ? formatNumber(abs, false, `.${precision}g`, name) : pyRepr(abs);
  }
  if (grouping) {
    const [int, frac] = body.split('.') as [string, string | undefined];
    body = int.replace(/\B(?=(\d{3})+(?!\d))/g, grouping) + (frac !== undefined ? `.${frac}` : '');
  }
  const signText = negative ? '-' : sign === '+' ? '+' : sign === ' ' ? ' ' : '';
  const width = widthText === undefined ? 0 : Number(widthText);
  const fill = fillChar ?? (zero && !align ? '0' : ' ');
  const alignment = align ?? (zero ? '=' : '>');
  const pad = Math.max(0, width - signText.length - body.length);
  if (alignment === '=') return signText + fill.repeat(pad) + body;
  const text = signText + body;
  if (alignment === '<') return text + fill.repeat(pad);
  if (alignment === '^') return fill.repeat(Math.floor(pad / 2)) + text + fill.repeat(Math.ceil(pad / 2));
  return fill.repeat(pad) + text;
}

/** `template.format(**values)`; names in `ints` are Python ints, every other number a float. */
export function pyFormat(template: string, values: Record<string, number>, ints: ReadonlySet<string>): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const ch = template[i]!;
    if (ch === '{' && template[i + 1] === '{') {
      out += '{';
      i++;
      continue;
    }
    if (ch === '}' && template[i + 1] === '}') {
      out += '}';
      i++;
      continue;
    }
    if (ch === '}') throw configError('ModelCheckpoint', { expected: `single '}' in filepath template ${JSON.stringify(template)}` });
    if (ch !== '{') {
      out += ch;
      continue;
    }
    const close = template.indexOf('}', i);
    if (close < 0) throw configError('ModelCheckpoint', { expected: `unclosed '{' in filepath template ${JSON.stringify(template)}` });
    const field = template.slice(i + 1, close);
    const colon = field.indexOf(':');
    const name = colon < 0 ? field : field.slice(0, colon);
    const spec = colon < 0 ? '' : field.slice(colon + 1);
    const value = ownEntry(values, name);
    if (value === undefined) {
      throw configError('ModelCheckpoint', {
        expected: `failed to format the filepath ${JSON.stringify(template)}: no key ${JSON.stringify(name)} in the logs`,
        rule: `available: ${Object.keys(values).join(', ')}`,
      });
    }
    out += formatNumber(value, ints.has(name), spec, name);
    i = close;
  }
  return out;
}
