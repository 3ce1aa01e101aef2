// wasi:keyvalue/store@0.2.0-draft for the jco-transpiled component: an
// in-memory store, wired in with `jco transpile --map`. jco's preview2-shim
// has no keyvalue, and a store that lives as long as the Node process is what
// the plugin needs (the host may create fresh instances; the state outlives them).

const stores = new Map();

export class Bucket {
  #entries;

  constructor(entries) {
    this.#entries = entries;
  }

  get(key) {
    return this.#entries.get(key);
  }

  set(key, value) {
    this.#entries.set(key, Uint8Array.from(value));
  }

  delete(key) {
    this.#entries.delete(key);
  }

  exists(key) {
    return this.#entries.has(key);
  }

  listKeys(_cursor) {
    return { keys: [...this.#entries.keys()], cursor: undefined };
  }
}

export function open(identifier) {
  if (!stores.has(identifier)) {
    stores.set(identifier, new Map());
  }
  return new Bucket(stores.get(identifier));
}
