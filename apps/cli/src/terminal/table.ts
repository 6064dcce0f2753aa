/** The one way the CLI draws a table (cli-table3): plain, without colour codes, unless colour is wanted. */
import Table from 'cli-table3';
import { useColour } from './colour';

type TableOptions = ConstructorParameters<typeof Table>[0];

export function table(head: string[], options: TableOptions = {}): Table.Table {
  const all: TableOptions = { ...options, head };
  if (!useColour(process.stdout)) all.style = { ...all.style, head: [], border: [] };
  return new Table(all);
}
