/**
 * Which of a resource's properties the program reads back as outputs. Pulumi's SDK makes an
 * output for every input property of a resource (four promises and their resolvers each), and
 * keeps each one's value, the engine's answer, for the rest of the run. A host's state sends its
 * items as one JSON text of 20-40 KB (18 MB for lyra's in a 1000-mirror fleet, the docs site's
 * pages), and the engine sends them back; the program reads none of it, only the digest
 * `converged`. The list rides on the properties object under a symbol, invisible to the SDK's
 * serialization (it sends own enumerable string keys only); the SDK change that reads it is
 * src/fleet/sdk-output-properties.ts. Without that change every property is an output, as before.
 */

/** The key the list is kept under: one for every copy of this module (the program bundle's, the tests'). */
export const outputPropertiesKey = Symbol.for("lyra-fleet output properties");

/** `props`, marked so that only `keys` become outputs on the resource. */
export function withOutputProperties<T extends object>(props: T, keys: readonly string[]): T {
  Object.defineProperty(props, outputPropertiesKey, { value: [...keys], enumerable: false });
  return props;
}

/** The keys `props` was marked with, if it was. */
export function outputPropertiesOf(props: object): readonly string[] | undefined {
  return (props as { [outputPropertiesKey]?: readonly string[] })[outputPropertiesKey];
}
