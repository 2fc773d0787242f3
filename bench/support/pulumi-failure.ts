/**
 * What to show of a failed `pulumi` run: its Diagnostics section, where the CLI puts each resource's
 * error, and the end of the output. The end alone is the stack's outputs and the resource summary,
 * which name no error (a 20-mirror run's outputs are longer than any tail worth printing).
 */
export function pulumiFailure(output: string, tail = 2000): string {
  const diagnostics = /^Diagnostics:\n[\s\S]*?(?=^\S)/m.exec(output.replace(/\r/g, ""))?.[0] ?? "";
  const end = output.slice(-tail);
  return diagnostics ? `${diagnostics.trimEnd()}\n...\n${end}` : end;
}
