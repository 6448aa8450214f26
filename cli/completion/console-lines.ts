// @bomb.sh/tab writes its answers and scripts with console.log: collect those lines instead.

export function consoleLines(write: () => void): string[] {
  const lines: string[] = [];
  const log = console.log;
  console.log = (line: unknown) => lines.push(String(line));
  try {
    write();
  } finally {
    console.log = log;
  }
  return lines;
}
