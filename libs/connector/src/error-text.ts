/** An error as one log field: `Name: message`, or the thrown value's text. */
export function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
