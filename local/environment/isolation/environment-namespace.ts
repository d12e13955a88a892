/**
 * An execution environment's own mount and network namespace, as Lambda gives one to each
 * environment: the code read-only at `/var/task` (the working directory), the layers merged
 * read-only at `/opt` (overlayfs; later layers win), the runtime at `/var/runtime` and its Node at
 * `/var/lang/bin/node`, a private `/tmp`, and a loopback of its own on which `127.0.0.1`,
 * `localhost` and `sandbox.localdomain` are the environment, the Lambda APIs are at
 * `127.0.0.1:9001` and the X-Ray daemon at `169.254.79.129:2000`. Its processes run as Lambda's
 * unprivileged user.
 *
 * Made with maintained tools: util-linux's `unshare` runs `namespace-setup.sh` (mounts, iproute2
 * for the addresses) in the new namespaces, which starts the environment's gateway
 * (`gateway-main.ts`) and stays; every process of the environment enters with `nsenter`, so it
 * keeps its pid, process group and cgroups. (bubblewrap sandboxes one command at a time, while an
 * environment is several processes started at different moments, and Debian 12's 0.8 cannot
 * merge directories.) The sandbox reaches in and the environment reaches out only through the
 * gateway's Unix sockets in the environment's directory.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFileSync, rmSync } from 'node:fs';
import { chown, copyFile, link, mkdir, readdir, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { onDemandBundle } from '../../on-demand-bundle';
import { processAlive } from '../environment-process';
import {
  FrameReader,
  type GatewayConfig,
  headerLine,
  READY_LINE,
  readHeader,
  SANDBOX_HOST_ADDRESS,
  SOCKETS,
  splice,
  XRAY_DAEMON_ADDRESS,
} from './gateway-protocol';

const sourceDir = path.dirname(fileURLToPath(import.meta.url));
const gatewayBundle = onDemandBundle({
  entry: path.join(sourceDir, 'gateway-main.ts'),
  outfile: path.resolve(sourceDir, '..', '..', '..', 'dist', 'isolation', 'gateway.mjs'),
});
const SETUP_SCRIPT = readFileSync(path.join(sourceDir, 'namespace-setup.sh'), 'utf8');

/**
 * Who the environment's processes run as: Lambda runs functions and extensions as an
 * unprivileged user (`sbx_user1051`, uid 993, gid 990), never root; here that also keeps code
 * from writing the parts of the host's filesystem an environment still sees. Its `/tmp` is its own.
 */
const FUNCTION_USER = { name: 'sbx_user1051', uid: 993, gid: 990 } as const;

/**
 * The host's `/etc/passwd` and `/etc/group` with the function's user added: the AWS SDK, as much
 * other code, asks for the user's home directory, which needs an entry.
 */
function readAccounts(): { PASSWD: string; GROUP: string } {
  const read = (file: string) => {
    const text = readFileSync(file, 'utf8');
    return text.endsWith('\n') || text === '' ? text : `${text}\n`;
  };
  const { name, uid, gid } = FUNCTION_USER;
  return {
    PASSWD: `${read('/etc/passwd')}${name}:x:${uid}:${gid}::/home/${name}:/sbin/nologin\n`,
    GROUP: `${read('/etc/group')}${name}:x:${gid}:\n`,
  };
}
let accounts: ReturnType<typeof readAccounts> | undefined;

/** The account files, read once per process. */
function environmentAccounts(): ReturnType<typeof readAccounts> {
  accounts ??= readAccounts();
  return accounts;
}
/** What `namespace-setup.sh` prints once every mount is made. */
const MOUNTED_LINE = 'mounted';
/** The gateway must be listening within this long, or the environment fails to start. */
const READY_LIMIT_MS = 10_000;
/** Unix socket paths are limited to 108 bytes on Linux (`sun_path`). */
const MAX_SOCKET_PATH = 107;

/** `/etc/hosts` inside an environment: `sandbox.localdomain` is the environment itself. */
const HOSTS = '127.0.0.1\tlocalhost sandbox.localdomain sandbox\n::1\tlocalhost ip6-localhost ip6-loopback\n';

/** Every environment directory of this sandbox process, removed when it exits, however it exits. */
const RUN_DIR_NAME = /^lambda-sandbox-(\d+)$/;
const runDir = path.join(tmpdir(), `lambda-sandbox-${process.pid}`);
let exitHookInstalled = false;

/**
 * Removes this process's directories when it exits, and once the directories of sandbox
 * processes that died without exiting (SIGKILL): their environments' `/tmp` would stay behind.
 */
async function installExitHook(): Promise<void> {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => rmSync(runDir, { recursive: true, force: true }));
  const names = await readdir(tmpdir()).catch(() => []);
  for (const name of names) {
    const pid = Number(RUN_DIR_NAME.exec(name)?.[1]);
    if (pid && pid !== process.pid && !processAlive(pid))
      await rm(path.join(tmpdir(), name), { recursive: true, force: true }).catch(() => undefined);
  }
}

export interface NamespaceOptions {
  /** The environment's id (hex); names its directory. */
  readonly id: string;
  readonly codeDir: string;
  /** Layer directories in the function's order. */
  readonly layers: readonly string[];
  /** The managed runtime's directory, mounted at `/var/runtime`. */
  readonly runtimeDir: string;
  /** The runtime's `node` binary; its prefix (`<prefix>/bin/node`) is mounted at `/var/lang`. */
  readonly nodeBinary: string;
  /** The sandbox's loopback ports the environment may reach (at `SANDBOX_HOST_ADDRESS`). */
  readonly egressPorts: readonly number[];
  /** The sandbox's X-Ray daemon (`host:port`, UDP), reached at Lambda's daemon address. */
  readonly xrayDaemon?: { readonly host: string; readonly port: number };
}

/** Overlayfs separates lower directories with `:` and options with `,`: such paths cannot be layers. */
function lowerDirs(layers: readonly string[]): string {
  for (const layer of layers) {
    if (/[:,\n]/.test(layer))
      throw new Error(`layer path ${layer} contains ':' or ',', which overlayfs cannot mount`);
  }
  return [...layers].reverse().join(':');
}

export class EnvironmentNamespace {
  private constructor(
    private readonly dir: string,
    private readonly holder: ChildProcess,
    private readonly egress: Server,
  ) {}

  /** Where the sandbox serves the environment's Lambda APIs (the gateway's `127.0.0.1:9001`). */
  get lambdaApiSocket(): string {
    return path.join(this.dir, SOCKETS.lambdaApi);
  }

  /** Prepares the environment's directory (and its Lambda API socket's place), then the namespaces. */
  static async create(options: NamespaceOptions): Promise<EnvironmentNamespace> {
    await installExitHook();
    const dir = path.join(runDir, options.id.slice(0, 16));
    if (path.join(dir, SOCKETS.inbound).length > MAX_SOCKET_PATH)
      throw new Error(
        `the temporary directory ${tmpdir()} is too long a path for Unix sockets: set TMPDIR=/tmp`,
      );
    await mkdir(dir, { recursive: true });
    const gatewayFile = path.join(dir, 'gateway.mjs');
    const bundle = await gatewayBundle();
    await link(bundle, gatewayFile).catch(() => copyFile(bundle, gatewayFile));
    await Promise.all(['root', 'tmp'].map((sub) => mkdir(path.join(dir, sub))));
    await chown(path.join(dir, 'tmp'), FUNCTION_USER.uid, FUNCTION_USER.gid);
    const egress = await serveEgress(path.join(dir, SOCKETS.egress), options);
    const config: GatewayConfig = {
      egressPorts: options.egressPorts,
      xrayDaemon: options.xrayDaemon !== undefined,
    };
    const holder = spawn(
      'unshare',
      ['--mount', '--net', '--propagation', 'private', '--', 'sh', '-c', SETUP_SCRIPT],
      {
        env: {
          PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
          ENV_DIR: dir,
          TASK_DIR: options.codeDir,
          RUNTIME_DIR: options.runtimeDir,
          LANG_DIR: path.dirname(path.dirname(options.nodeBinary)),
          OPT_LOWERDIR: lowerDirs(options.layers),
          HOSTS,
          ...environmentAccounts(),
          XRAY_DAEMON_HOST: XRAY_DAEMON_ADDRESS.host,
          SANDBOX_HOST: SANDBOX_HOST_ADDRESS,
          GATEWAY_CONFIG: JSON.stringify(config),
        },
        stdio: ['pipe', 'pipe', 'pipe'],
        // Its own process group: the setup shell and the gateway are stopped together.
        detached: true,
      },
    );
    const namespace = new EnvironmentNamespace(dir, holder, egress);
    try {
      await namespace.ready();
    } catch (error) {
      await namespace.remove();
      throw error;
    }
    return namespace;
  }

  /** The pid the environment's processes enter the namespaces of: the setup shell's. */
  get pid(): number {
    return this.holder.pid ?? 0;
  }

  /** The command that runs `command` inside the namespaces, in `cwd` there; its pid is the command's. */
  launch(command: string, args: readonly string[], cwd: string): { command: string; args: string[] } {
    // nsenter opens a `--wd` directory before it enters: the shell changes to it once inside.
    return {
      command: 'nsenter',
      args: [
        `--target=${this.pid}`,
        '--mount',
        '--net',
        `--setuid=${FUNCTION_USER.uid}`,
        `--setgid=${FUNCTION_USER.gid}`,
        '--',
        '/bin/sh',
        '-c',
        'cd "$1" && shift && exec "$@"',
        'lambda-environment',
        cwd,
        command,
        ...args,
      ],
    };
  }

  /** A connection to `127.0.0.1:<port>` inside the environment (for Telemetry API deliveries). */
  connect(port: number): Socket {
    const socket = connect(path.join(this.dir, SOCKETS.inbound));
    socket.write(headerLine({ kind: 'tcp', port }));
    return socket;
  }

  /** Ends the gateway (the namespaces go with their last process) and removes the directory, `/tmp` included. */
  async remove(): Promise<void> {
    if (this.holder.exitCode === null && this.holder.signalCode === null) {
      const exited = new Promise((resolve) => this.holder.once('exit', resolve));
      try {
        process.kill(-this.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
      await exited;
    }
    await new Promise<void>((resolve) => this.egress.close(() => resolve()));
    await rm(this.dir, { recursive: true, force: true });
  }

  private ready(): Promise<void> {
    return new Promise((resolve, reject) => {
      let stderr = '';
      this.holder.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
      });
      let stdout = '';
      const timer = setTimeout(
        () => fail(`the environment's gateway was not ready within ${READY_LIMIT_MS} ms`),
        READY_LIMIT_MS,
      );
      const fail = (message: string) => {
        clearTimeout(timer);
        reject(new Error(message));
      };
      this.holder.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        if (stdout.includes(READY_LINE) && stdout.includes(MOUNTED_LINE)) {
          clearTimeout(timer);
          resolve();
        }
      });
      this.holder.once('error', (error) => fail(`unshare could not start: ${error.message}`));
      this.holder.once('exit', (code) => {
        const line = stderr.trim() || `exit status ${code}`;
        fail(`the environment's namespaces could not be set up: ${line}`);
      });
    });
  }
}

/**
 * The sandbox's end of the environment's way out: `tcp <port>` to one of the allowed loopback
 * ports, `udp` to the X-Ray daemon. Anything else is refused: the environment reaches only what
 * its variables name.
 */
async function serveEgress(socketPath: string, options: NamespaceOptions): Promise<Server> {
  const allowed = new Set(options.egressPorts);
  const daemon = options.xrayDaemon;
  const server = createServer({ pauseOnConnect: true }, (inside) => {
    inside.resume();
    void readHeader(inside).then((header) => {
      if (!header) return;
      const { destination, rest } = header;
      if (destination.kind === 'tcp' && allowed.has(destination.port)) {
        const outside = connect(destination.port, '127.0.0.1');
        if (rest.length > 0) outside.write(rest);
        splice(inside, outside);
      } else if (destination.kind === 'udp' && daemon) {
        const socket = createSocket('udp4');
        const reader = new FrameReader((datagram) => socket.send(datagram, daemon.port, daemon.host));
        reader.push(rest);
        inside.on('data', (chunk: Buffer) => reader.push(chunk));
        inside.once('close', () => socket.close());
        inside.on('error', () => inside.destroy());
        inside.resume();
      } else {
        inside.destroy();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  return server;
}
