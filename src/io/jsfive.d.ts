// The part of jsfive (https://github.com/usnistgov/jsfive, no bundled types) that src/io/hdf5.ts uses.
declare module 'jsfive' {
  export class Group {
    readonly name: string;
    readonly keys: string[];
    readonly attrs: Record<string, unknown>;
    get(path: string): Group | Dataset | null;
  }
  export class File extends Group {
    constructor(buffer: ArrayBuffer, filename: string);
  }
  export const Filters: Map<number, (buffer: ArrayBuffer, itemSize: number, clientData: unknown) => ArrayBuffer>;
  export class Dataset {
    readonly name: string;
    readonly shape: number[];
    readonly dtype: string | unknown[];
    readonly value: ArrayLike<number | bigint | string>;
    readonly attrs: Record<string, unknown>;
  }
}
