/** Flags that take several values (--to a,b --to c): repeated, comma-separated or both. */
export function splitList(values: string[] | undefined): string[] {
  return (values ?? []).flatMap((value) => value.split(',')).map((value) => value.trim()).filter(Boolean);
}
