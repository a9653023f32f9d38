import { CODES, NATIVE_FUNCTIONS, SCALAR_TYPES, STRUCTS, parseArg, tableHash, type ArgType, type FunctionSpec } from './table.js';

/*
 * Writes native/kernels/kernel_table.h from the table (table.ts). Nothing at run time imports this
 * file: scripts/build-native.mjs runs it (through tsx) before compiling, and
 * test/backend/native-table.test.ts compares its output with the committed header.
 */

export const HEADER_PATH = 'native/kernels/kernel_table.h';

/** `inHeight` -> `in_height`, `conv2dBackpropInput` -> `conv2d_backprop_input`. */
function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** `conv2dBiasActivation` -> `Conv2dBiasActivationArgs`. */
function argsStruct(name: string): string {
  return `${name[0]!.toUpperCase()}${name.slice(1)}Args`;
}

function cppType(type: ArgType): string {
  if (type in SCALAR_TYPES) return SCALAR_TYPES[type as keyof typeof SCALAR_TYPES];
  if (type in CODES) return `Code<${CODES[type as keyof typeof CODES].enum}>`;
  return STRUCTS[type as keyof typeof STRUCTS].cpp;
}

/**
 * Joins `parts` with spaces into lines of at most `width` characters starting with `indent`;
 * `continuation` indents the lines after the first further (the rest of an expression).
 */
function wrap(parts: readonly string[], indent: string, continuation = '    ', width = 118): string[] {
  const lines: string[] = [];
  let line = indent;
  for (const piece of parts) {
    if (line !== indent && line.length + piece.length + 1 > width) {
      lines.push(line.trimEnd());
      line = `${indent}${continuation}`;
    } else if (line !== indent) {
      line += ' ';
    }
    line += piece;
  }
  lines.push(line);
  return lines;
}

/** `return a && b && ...;` over lines of the method body (`return true;` for none). */
function returnAll(conditions: readonly string[]): string[] {
  if (conditions.length === 0) return ['    return true;'];
  const lines = wrap(
    conditions.map((c, i) => (i === 0 ? `return ${c}` : `&& ${c}`)),
    '    ',
  );
  lines[lines.length - 1] += ';';
  return lines;
}

function renderStruct(name: keyof typeof STRUCTS): string[] {
  const s = STRUCTS[name];
  const fields = Object.entries(s.fields);
  const element = s.array === 'i32' ? 'int32_t' : 'double';
  const cpp = (kind: string) => (kind === 'bool' ? 'bool' : kind === 'double' ? 'double' : 'long');
  const assignments = fields.map(([field, kind], i) => `${snakeCase(field)} = ${kind === 'bool' ? `f[${i}] != 0` : `f[${i}]`};`);
  const checks = fields.flatMap(([field, kind]) =>
    kind === 'size' ? [`${snakeCase(field)} >= 0`] : kind === 'step' ? [`${snakeCase(field)} >= 1`] : [],
  );
  return [
    `// ${s.doc} in src/backend/kernels.ts, sent as ${s.array === 'i32' ? 'an Int32Array' : 'a Float64Array'} of its fields.`,
    `struct ${s.cpp} {`,
    ...fields.map(([field, kind]) => `  ${cpp(kind)} ${snakeCase(field)};`),
    '',
    `  using Element = ${element};`,
    `  static constexpr int kFields = ${fields.length};`,
    `  static constexpr const char* kRule = "${s.rule}";`,
    '  // Fills the fields from the array; false when one breaks kRule.',
    `  bool unpack(const ${element}* f) {`,
    ...wrap(assignments, '    ', ''),
    ...returnAll(checks),
    '  }',
    '};',
    '',
  ];
}

/** Field declarations, consecutive fields of one type on one line: `F32Array x, filter, out;`. */
function declarations(args: readonly { name: string; type: ArgType }[]): string[] {
  const lines: string[] = [];
  let previous = '';
  for (const a of args) {
    const type = cppType(a.type);
    if (type === previous) lines[lines.length - 1] = `${lines.at(-1)!.slice(0, -1)}, ${snakeCase(a.name)};`;
    else lines.push(`  ${type} ${snakeCase(a.name)};`);
    previous = type;
  }
  return lines;
}

function renderArgs(name: string, spec: FunctionSpec): string[] {
  const args = spec.args.map(parseArg);
  const visits = args.map((a) => `r(${snakeCase(a.name)}, "${a.name}")`);
  const arrays = args.filter((a) => a.type === 'f32');
  return [
    `// ${name}(${args.map((a) => a.name).join(', ')})`,
    `struct ${argsStruct(name)} {`,
    `  static constexpr const char* kName = "${name}";`,
    `  static constexpr int kCount = ${args.length};`,
    ...declarations(args),
    '  template <class Read>',
    '  bool read(Read&& r) {',
    ...(visits.length ? returnAll(visits) : ['    (void)r;', '    return true;']),
    '  }',
    ...(spec.elementwise
      ? [
          '  // The float32 arrays, the output last.',
          '  template <class Visit>',
          '  bool arrays(Visit&& v) const {',
          ...returnAll(arrays.map((a) => `v(${snakeCase(a.name)})`)),
          '  }',
          `  const F32Array& output() const { return ${snakeCase(arrays.at(-1)!.name)}; }`,
        ]
      : []),
    '};',
    '',
  ];
}

function macro(name: string, doc: string, entries: readonly string[]): string[] {
  const lines = entries.map((e, i) => `  X(${e})${i < entries.length - 1 ? ' \\' : ''}`);
  return [`// ${doc}`, `#define ${name}(X)${lines.length ? ' \\' : ''}`, ...lines, ''];
}

/** The header's text. */
export function renderKernelTableHeader(): string {
  const functions = Object.entries(NATIVE_FUNCTIONS) as [string, FunctionSpec][];
  const elementwise = functions.filter(([, spec]) => spec.elementwise);
  for (const [name, spec] of elementwise) {
    if (!spec.args.some((a) => parseArg(a).type === 'f32')) throw new Error(`elementwise kernel ${name} has no float32 output`);
  }
  const lines = [
    '// Generated from src/backend/native/table.ts by src/backend/native/cpp-header.ts (`npm run build:native`',
    '// rewrites it); edit the table, not this file. test/backend/native-table.test.ts fails when it is stale.',
    '#pragma once',
    '',
    '#include <cstdint>',
    '',
    '#include "arguments.h"',
    '',
    'namespace neurona {',
    '',
    '// The op-code enums, defined beside their kernels.',
    ...Object.values(CODES).map((c) => `enum class ${c.enum};`),
    '',
    `// tableHash() in table.ts: the addon exports it, and the binding refuses a build of another table.`,
    `constexpr uint32_t kTableHash = 0x${tableHash().toString(16).padStart(8, '0')}u;`,
    '',
    ...Object.keys(STRUCTS).flatMap((name) => renderStruct(name as keyof typeof STRUCTS)),
    '// One struct per function of the table: its arguments by name, read in order by read(r), which calls',
    '// r(field, "jsName") for each until one fails.',
    '',
    ...functions.flatMap(([name, spec]) => renderArgs(name, spec)),
    ...macro(
      'NEURONA_NATIVE_FUNCTIONS',
      'Every function the addon exports: X(argument struct).',
      functions.map(([name]) => argsStruct(name)),
    ),
    ...macro(
      'NEURONA_ELEMENTWISE_KERNELS',
      'The elementwise kernels: X(IsaKernels field, argument struct); each ISA defines field(args, n, threads).',
      elementwise.map(([name]) => `${snakeCase(name)}, ${argsStruct(name)}`),
    ),
    ...macro(
      'NEURONA_CODE_LISTS',
      'The op-code lists the addon exports: X(property, enum, names in code order).',
      Object.values(CODES).map((c) => `"${c.list}", ${c.enum}, ${c.names}`),
    ),
    '}  // namespace neurona',
    '',
  ];
  return lines.join('\n');
}
