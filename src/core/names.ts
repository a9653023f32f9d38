/**
 * Lookups by name in the library's name tables (activations, losses, optimizers, metrics,
 * initializers, schedules, log keys, ...). The tables are plain objects, so a plain `table[name]`
 * would also find what every object inherits: `'constructor'` resolved to `Object` (an activation
 * named "constructor" in a model.json silently became the identity), and `'toString'`,
 * `'hasOwnProperty'`, `'valueOf'` or `'__proto__'` resolve to functions or objects that are not
 * entries. Every lookup by a name that comes from a user or a file goes through `ownEntry`, so those
 * names are unknown like any other misspelling and get the table's "unknown X, known: ..." error.
 */

/** The entry of `table` named `name` when it is the table's own property, else undefined. */
export function ownEntry<T>(table: Readonly<Record<string, T>>, name: unknown): T | undefined {
  return typeof name === 'string' && Object.hasOwn(table, name) ? table[name] : undefined;
}

/** `sparse_categorical_crossentropy` -> `sparseCategoricalCrossentropy`. */
export type CamelCaseName<S extends string> = S extends `${infer Head}_${infer Tail}` ? `${Head}${Capitalize<CamelCaseName<Tail>>}` : S;

/**
 * The spellings of a Keras name that the types list: snake_case (`'categorical_crossentropy'`),
 * camelCase (`'categoricalCrossentropy'`) and the class name (`'CategoricalCrossentropy'`). At run
 * time any case and underscores are accepted; the types list these so that a typo fails `tsc`.
 */
export type KerasName<S extends string> = S | CamelCaseName<S> | Capitalize<CamelCaseName<S>>;
