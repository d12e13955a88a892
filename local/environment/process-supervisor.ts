/**
 * The processes of one execution environment (the extensions of the layers and the runtime):
 * started for an Init, frozen between invokes, thawed for the next, and stopped by Lambda's
 * shutdown sequence with its deadline. With the environment's cgroups (see
 * `environment-cgroup.ts`) they start inside them, freeze through the freezer cgroup and their
 * memory is the cgroup's; without, they freeze by SIGSTOP and their memory is read from /proc.
 */
import { settledBy, settledWithin } from '../../common/deadline';
import type { ShutdownReason } from '../apis/extensions-api';
import type { CpuMode, EnvironmentCgroup } from './environment-cgroup';
import { EnvironmentProcess, type ProcessExit, peakResidentKb } from './environment-process';
import type { ExtensionRegistry } from './extension-registry';
import type { EnvironmentNamespace } from './isolation/environment-namespace';
import type { ExtensionExecutable } from './layer-extensions';
import type { InvokeStatus } from './types';

/** Shutdown budget with external extensions; 500 ms with only internal ones; none without. */
const SHUTDOWN_LIMIT_MS = 2_000;
const SHUTDOWN_LIMIT_INTERNAL_MS = 500;
/** The runtime gets this long after SIGTERM before extensions get SHUTDOWN. */
const RUNTIME_SIGTERM_GRACE_MS = 300;
/** Before freezing or SHUTDOWN, in-flight telemetry deliveries get this long to finish. */
const DELIVERY_GRACE_MS = 500;
/** The flush before SHUTDOWN stops this far before the deadline, so extensions still get time for it. */
const SHUTDOWN_EVENT_MARGIN_MS = 100;

/** How to start one process; its output lines and its exit are reported to the supervisor's callbacks. */
export interface ProcessLaunch {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Record<string, string>;
}

/** What a process's end means for the phase it ends. */
export interface ProcessFault {
  /** `error` when the OOM killer ended it, `failure` otherwise. */
  readonly status: InvokeStatus;
  /** `Runtime.OutOfMemory` (whichever process the OOM killer chose), `Runtime.ExitError`, `Extension.Crash`. */
  readonly errorType: string;
  /** Which process ended and how (`Runtime exited with error: exit status 1`). */
  readonly message: string;
}

export interface SupervisorCallbacks {
  /** A line the runtime (`function`) or an extension (`extension`, `source` = its name) printed. */
  readonly onLine: (stream: 'function' | 'extension', line: string, source?: string) => void;
  /** A process ended. */
  readonly onExit: (fault: ProcessFault) => void;
}

/**
 * How Lambda words a signal in `Runtime exited with error: signal: …`: its platform is written in
 * Go, whose exit errors name a signal by its description.
 */
const SIGNAL_DESCRIPTIONS: Partial<Record<NodeJS.Signals, string>> = {
  SIGABRT: 'aborted',
  SIGBUS: 'bus error',
  SIGFPE: 'floating point exception',
  SIGHUP: 'hangup',
  SIGILL: 'illegal instruction',
  SIGINT: 'interrupt',
  SIGKILL: 'killed',
  SIGPIPE: 'broken pipe',
  SIGQUIT: 'quit',
  SIGSEGV: 'segmentation fault',
  SIGTERM: 'terminated',
};

function exitDescription(exit: ProcessExit): string {
  return exit.signal
    ? `signal: ${SIGNAL_DESCRIPTIONS[exit.signal] ?? exit.signal.replace(/^SIG/, '').toLowerCase()}`
    : `exit status ${exit.code}`;
}

export class ProcessSupervisor {
  private runtime: EnvironmentProcess | undefined;
  private extensions = new Map<string, EnvironmentProcess>();
  private executables: ReadonlySet<string> = new Set();
  /** The highest memory use measured so far, in kB, across all of the environment's Inits. */
  private peakKb = 0;
  private cgroup: EnvironmentCgroup | undefined;
  private namespace: EnvironmentNamespace | undefined;

  constructor(private readonly callbacks: SupervisorCallbacks) {}

  /** Runs every process started from now on in the environment's cgroups. */
  constrain(cgroup: EnvironmentCgroup): void {
    this.cgroup = cgroup;
  }

  /** Runs every process started from now on in the environment's namespaces (paths are then Lambda's). */
  enter(namespace: EnvironmentNamespace): void {
    this.namespace = namespace;
  }

  /** Names of the external extension executables started for the current Init. */
  get externalNames(): ReadonlySet<string> {
    return this.executables;
  }

  get runtimeStarted(): boolean {
    return this.runtime !== undefined;
  }

  get hasProcesses(): boolean {
    return this.runtime !== undefined || this.extensions.size > 0;
  }

  /** Process ids of the environment's process groups. */
  get processIds(): number[] {
    return this.processes().flatMap((p) => (p.pid === undefined ? [] : [p.pid]));
  }

  /** "Max Memory Used" of the reports: the peak measured so far, in MB, at least 1. */
  get maxMemoryUsedMB(): number {
    return Math.max(1, Math.ceil(this.peakKb / 1024));
  }

  /**
   * Reads the environment's peak memory: the memory cgroup's, which the limit is enforced
   * against, page cache included. An approximation: a page is charged to the cgroup that read it
   * first, so files shared with processes outside the environment (the Node binary, when the
   * sandbox runs on the same one) count only where they were read first. Without a cgroup, the
   * processes' peak resident memory summed (a few /proc files each: once per invoke).
   */
  async measureMemory(): Promise<void> {
    const kb = this.cgroup
      ? (await this.cgroup.maxUsageBytes()) / 1024
      : await peakResidentKb(this.processIds);
    this.peakKb = Math.max(this.peakKb, kb);
  }

  /** CPU for Init (`burst`) or from its end on (`throttled`); nothing to do without cgroups. */
  async cpu(mode: CpuMode): Promise<void> {
    await this.cgroup?.cpu(mode);
  }

  /** Starts every extension executable at once, as Lambda starts `/opt/extensions/*` in parallel. */
  startExtensions(
    executables: readonly ExtensionExecutable[],
    launch: Omit<ProcessLaunch, 'command' | 'args'>,
  ): void {
    this.executables = new Set(executables.map((e) => e.name));
    for (const executable of executables) {
      const child = this.spawn({ ...launch, command: executable.path, args: [] }, (line) =>
        this.callbacks.onLine('extension', line, executable.name),
      );
      this.extensions.set(executable.name, child);
      void child.exited.then((exit) =>
        this.callbacks.onExit(
          this.exitFault(
            exit,
            'Extension.Crash',
            `Extension ${executable.name} exited with error: ${exitDescription(exit)}`,
          ),
        ),
      );
    }
  }

  startRuntime(launch: ProcessLaunch): void {
    const runtime = this.spawn(launch, (line) => this.callbacks.onLine('function', line));
    this.runtime = runtime;
    void runtime.exited.then((exit) =>
      this.callbacks.onExit(
        this.exitFault(exit, 'Runtime.ExitError', `Runtime exited with error: ${exitDescription(exit)}`),
      ),
    );
  }

  /**
   * Freezes the environment between invokes: telemetry deliveries pause (a frozen listener cannot
   * answer), the ones in flight get a grace period, then the freezer cgroup freezes every
   * process (without one, every process group gets SIGSTOP).
   */
  async freeze(extensions: ExtensionRegistry): Promise<void> {
    const deliveries = [...extensions.deliveries()];
    for (const delivery of deliveries) delivery.pause();
    await settledWithin(Promise.all(deliveries.map((d) => d.settled())), DELIVERY_GRACE_MS);
    if (this.cgroup) await this.cgroup.freeze();
    else for (const child of this.processes()) child.signal('SIGSTOP');
  }

  async thaw(extensions: ExtensionRegistry): Promise<void> {
    if (this.cgroup) await this.cgroup.thaw();
    else for (const child of this.processes()) child.signal('SIGCONT');
    for (const delivery of extensions.deliveries()) delivery.resume();
  }

  /**
   * The shutdown sequence: SIGTERM to the runtime (300 ms), telemetry flushed, SHUTDOWN to the
   * extensions that asked for it with the deadline, SIGKILL to whatever still runs at it.
   * Afterwards no process of the environment is left.
   */
  async stop(reason: ShutdownReason, extensions: ExtensionRegistry): Promise<void> {
    const budget =
      this.extensions.size > 0 ? SHUTDOWN_LIMIT_MS : extensions.hasInternal ? SHUTDOWN_LIMIT_INTERNAL_MS : 0;
    const deadlineMs = Date.now() + budget;
    const runtime = this.runtime;
    if (runtime?.alive) {
      if (budget > 0) {
        runtime.signal('SIGTERM');
        await runtime.waitForExit(Math.min(RUNTIME_SIGTERM_GRACE_MS, deadlineMs - Date.now()));
      }
      if (runtime.alive) await runtime.kill();
    }
    await settledWithin(
      Promise.all([...extensions.deliveries()].map((d) => d.flush())),
      Math.min(DELIVERY_GRACE_MS, deadlineMs - Date.now() - SHUTDOWN_EVENT_MARGIN_MS),
    );
    extensions.broadcast({ eventType: 'SHUTDOWN', shutdownReason: reason, deadlineMs });
    const processes = [...this.extensions.values()];
    await settledBy(Promise.all(processes.map((p) => p.exited)), deadlineMs);
    await Promise.all([...processes, ...(runtime ? [runtime] : [])].map((p) => p.kill()));
    // Processes that left their group (daemons of the runtime or an extension) are still in the cgroup.
    await this.cgroup?.killRemaining();
    this.extensions = new Map();
    this.runtime = undefined;
  }

  private spawn(launch: ProcessLaunch, onLine: (line: string) => void): EnvironmentProcess {
    // nsenter, then the cgroup's shell, each exec the next: the pid spawned is the process's own.
    const entered = this.namespace
      ? { ...this.namespace.launch(launch.command, launch.args, launch.cwd), cwd: '/' }
      : launch;
    const { command, args } = this.cgroup ? this.cgroup.launch(entered.command, entered.args) : entered;
    return new EnvironmentProcess({ ...launch, cwd: entered.cwd, command, args, onLine });
  }

  /** A process ended: out of memory when the OOM killer ended it, else `errorType`. */
  private exitFault(exit: ProcessExit, errorType: string, message: string): ProcessFault {
    return this.cgroup?.killedForMemory(exit)
      ? { status: 'error', errorType: 'Runtime.OutOfMemory', message }
      : { status: 'failure', errorType, message };
  }

  private processes(): EnvironmentProcess[] {
    return [...(this.runtime ? [this.runtime] : []), ...this.extensions.values()];
  }
}
