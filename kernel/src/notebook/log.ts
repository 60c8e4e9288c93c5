// The kernel's own diagnostics. Bound at load, before the kernel redirects process.stderr into cells,
// so they reach the terminal (and Jupyter's server log), never a user's notebook.
const write = process.stderr.write.bind(process.stderr);

export function kernelLog(text: string): void {
  write(`valence kernel: ${text}\n`);
}
