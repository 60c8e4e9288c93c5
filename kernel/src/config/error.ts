// The error of a config file that cannot be used: names the file (or where its path came from), the
// JSON path of each problem, and the problem, one per line. `valence start` prints it and exits;
// the dispatcher does not start.
export class ConfigError extends Error {
  override readonly name = "ConfigError";

  constructor(
    /** The config file, or the flag / variable that named a missing one. */
    readonly file: string,
    /** Each problem as `at <path>: <what>` (or just `<what>` for the file as a whole). */
    readonly problems: readonly string[],
  ) {
    super(
      problems.length === 1
        ? `invalid config ${file}: ${problems[0]}`
        : `invalid config ${file}:\n${problems.map((p) => `  ${p}`).join("\n")}`,
    );
  }
}
