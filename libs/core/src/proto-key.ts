/**
 * Makes `__proto__` an ordinary property name in this process, as `node --disable-proto=delete` does.
 *
 * Rows, keys and documents are objects whose property names come from the source: a column may be
 * named `__proto__`. With Object.prototype's `__proto__` accessor in place, `row[name] = value`
 * under that name sets the object's prototype instead of a property, so the column vanished from
 * every event, cache, document and view (and the pg driver's own row objects lose it the same way),
 * while JSON.parse keeps it as an ordinary key. Without the accessor every assignment makes an own
 * property, in our code and in the libraries', and objects built from untrusted input can no longer
 * reach a prototype through that name. Object literals (`{ __proto__: x }`), Object.getPrototypeOf
 * and Object.setPrototypeOf are not affected.
 *
 * Every process entry point (the CLI and the apps' mains) and the test setup call it first.
 */
export function treatProtoAsOrdinaryKey(): void {
  if (Object.prototype.hasOwnProperty.call(Object.prototype, '__proto__')) {
    delete (Object.prototype as { __proto__?: unknown }).__proto__;
  }
}
