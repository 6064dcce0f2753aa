/** Command-line flags of the bench's stand-alone probes: `--name value`. */

/** The number after `--name`, or `fallback` when the flag is absent. */
export function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

/** The text after `--name`, or undefined when the flag is absent. */
export function text(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}
