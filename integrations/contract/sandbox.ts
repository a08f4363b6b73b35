/** The loopback sandboxes, as `tuneloop sandbox <name>` starts them. */

/** A numeric option of `tuneloop sandbox <name>` (--port, --seed, …), parsed and checked by the CLI. */
export interface SandboxOption {
  /** The option's name without dashes: "port", "rate-limit-every". */
  name: string;
  description: string;
  default?: number;
  min?: number;
}

export interface RunningSandbox {
  url: string;
  /** What to print: where it runs and how to add it as a connection. */
  instructions: string[];
  close(): Promise<void>;
}

export interface SandboxLauncher {
  readonly description: string;
  readonly options: readonly SandboxOption[];
  /** Values by option name; an option left out and without a default is undefined. */
  start(values: Readonly<Record<string, number | undefined>>): Promise<RunningSandbox>;
}
