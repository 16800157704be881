import { existsSync, lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Template } from 'aws-cdk-lib/assertions';
import { RUNNER_CONTAINER } from '../../infra/constructs/BackupRunner.ts';

/**
 * The runner's task as Fargate runs it, for local mode and the tests: the container definition from the synthesized
 * template and the image's facts from its Dockerfile, so that neither is a second copy that could drift.
 */

export const RUNNER_IMAGE_DIR = fileURLToPath(new URL('../../containers/backup/', import.meta.url));

/** What the synthesized task definition says about the runner container. */
export interface RunnerTaskDefinition {
  readonly containerName: string;
  /** `uid:gid` (ECS's `user`); undefined runs as the image's user. */
  readonly user?: string;
  readonly readonlyRootFilesystem: boolean;
  readonly mountPoints: readonly {
    readonly containerPath: string;
    readonly sourceVolume: string;
    readonly readOnly: boolean;
  }[];
  /** Bind-mount volumes of the task (no host path: Fargate's task storage). */
  readonly volumes: readonly string[];
  readonly environment: Readonly<Record<string, string>>;
}

/** The runner container of the template's one ECS task definition. */
export function runnerTaskDefinition(template: Template): RunnerTaskDefinition {
  const definitions = Object.values(template.findResources('AWS::ECS::TaskDefinition'));
  if (definitions.length !== 1)
    throw new Error(`expected one ECS task definition in the template, found ${definitions.length}`);
  const properties = definitions[0]!.Properties as {
    ContainerDefinitions: {
      Name: string;
      User?: string;
      ReadonlyRootFilesystem?: boolean;
      MountPoints?: { ContainerPath: string; SourceVolume: string; ReadOnly?: boolean }[];
      Environment?: { Name: string; Value: string }[];
    }[];
    Volumes?: { Name: string; Host?: unknown; EFSVolumeConfiguration?: unknown }[];
  };
  const container = properties.ContainerDefinitions.find((c) => c.Name === RUNNER_CONTAINER);
  if (!container) throw new Error(`the task definition has no container named ${RUNNER_CONTAINER}`);
  const volumes = properties.Volumes ?? [];
  const unsupported = volumes.filter((v) => v.Host !== undefined || v.EFSVolumeConfiguration !== undefined);
  if (unsupported.length > 0)
    throw new Error(
      `local mode runs only task-storage bind mounts; ${unsupported.map((v) => v.Name).join(', ')} is not one`,
    );
  return {
    containerName: container.Name,
    ...(container.User !== undefined && { user: container.User }),
    readonlyRootFilesystem: container.ReadonlyRootFilesystem === true,
    mountPoints: (container.MountPoints ?? []).map((m) => ({
      containerPath: m.ContainerPath,
      sourceVolume: m.SourceVolume,
      readOnly: m.ReadOnly === true,
    })),
    volumes: volumes.map((v) => v.Name),
    environment: Object.fromEntries((container.Environment ?? []).map((e) => [e.Name, e.Value])),
  };
}

/** A directory the image declares as a VOLUME: Fargate mounts the task's volume there with the image's mode. */
export interface ImageVolume {
  readonly path: string;
  /** From `RUN install -d -m MODE PATH`; a VOLUME the Dockerfile gives no mode is taken as root's 0755. */
  readonly mode: number;
}

/** What the runner image's final stage sets up, read from its Dockerfile. */
export interface RunnerImage {
  readonly env: Readonly<Record<string, string>>;
  readonly workdir: string;
  readonly entrypoint: readonly string[];
  readonly user?: string;
  readonly volumes: readonly ImageVolume[];
  /** `COPY` of build-context files: image path → path in the build context. */
  readonly copies: Readonly<Record<string, string>>;
  /** Home directories of the users the image adds (`useradd --uid N --home-dir DIR`), by uid. */
  readonly homes: Readonly<Record<string, string>>;
}

/** Docker's default PATH, which the node images keep. */
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Dockerfile lines with continuations joined and comments dropped. */
function instructions(text: string): string[] {
  return text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

const words = (value: string): string[] =>
  value.startsWith('[') ? (JSON.parse(value) as string[]) : value.split(/\s+/).filter(Boolean);

/** Reads the final stage of the runner's Dockerfile (the stage that becomes the image). */
export function runnerImage(dockerfile = join(RUNNER_IMAGE_DIR, 'Dockerfile')): RunnerImage {
  const lines = instructions(readFileSync(dockerfile, 'utf8'));
  const lastFrom = lines.findLastIndex((line) => /^FROM\s/i.test(line));
  const env: Record<string, string> = { PATH: DEFAULT_PATH };
  const copies: Record<string, string> = {};
  const modes = new Map<string, number>();
  const homes: Record<string, string> = {};
  const volumes: string[] = [];
  let workdir = '/';
  let entrypoint: string[] = [];
  let user: string | undefined;
  for (const line of lines.slice(lastFrom + 1)) {
    const [, instruction = '', rest = ''] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    switch (instruction.toUpperCase()) {
      case 'ENV':
        for (const [, name = '', value = ''] of rest.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)/g))
          env[name] = value.replace(/^"|"$/g, '');
        break;
      case 'WORKDIR':
        workdir = posix.resolve(workdir, rest);
        break;
      case 'ENTRYPOINT':
        entrypoint = words(rest);
        break;
      case 'USER':
        user = rest;
        break;
      case 'VOLUME':
        volumes.push(...words(rest));
        break;
      case 'COPY': {
        const parts = words(rest);
        if (parts.some((p) => p.startsWith('--from'))) break;
        const sources = parts.filter((p) => !p.startsWith('--'));
        const destination = sources.pop() ?? '';
        for (const source of sources)
          copies[
            destination.endsWith('/')
              ? posix.join(destination, posix.basename(source))
              : posix.resolve(workdir, destination)
          ] = source;
        break;
      }
      case 'RUN':
        for (const [, mode = '', path = ''] of rest.matchAll(/install\s+-d\s+-m\s+([0-7]{3,4})\s+(\/\S*)/g))
          modes.set(path, parseInt(mode, 8));
        for (const [command = ''] of rest.matchAll(/useradd\s[^;&|]*/g)) {
          const uid = /--uid\s+(\d+)/.exec(command)?.[1];
          const home = /--home-dir\s+(\S+)/.exec(command)?.[1];
          if (uid && home) homes[uid] = home;
        }
        break;
      default:
        break;
    }
  }
  return {
    env,
    workdir,
    entrypoint,
    ...(user !== undefined && { user }),
    volumes: volumes.map((path) => ({ path, mode: modes.get(path) ?? 0o755 })),
    copies,
    homes,
  };
}

/** How a mount point of the task looks inside the container, as Fargate makes it. */
export function mountedVolume(
  image: RunnerImage,
  containerPath: string,
): { readonly mode: number; readonly owner: 'root' } {
  // Fargate's bind mounts are root-owned 0755 unless the image declares a VOLUME there: then they take its ownership and mode.
  return { mode: image.volumes.find((v) => v.path === containerPath)?.mode ?? 0o755, owner: 'root' };
}

export interface FargateSandboxOptions {
  readonly task: RunnerTaskDefinition;
  readonly image: RunnerImage;
  /** Environment the task gets from its container overrides. */
  readonly overrides: Readonly<Record<string, string>>;
  /** What ECS adds to every task (region, the task role's credentials); local mode passes its stand-ins. */
  readonly platform: Readonly<Record<string, string>>;
  /** The build context the image's COPY sources are read from (containers/backup). */
  readonly context?: string;
  /**
   * A file descriptor of the spawned bwrap to which it writes `{"child-pid": N}`: the host's pid of the entrypoint,
   * which is where a stop's SIGTERM must go (bwrap itself would just die of it, and not pass it on).
   */
  readonly infoFd?: number;
}

/** Host directories that make up the sandbox's root: an image has its system, not the host's home or work trees. */
const SYSTEM_DIRS = ['/usr', '/etc', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/**
 * The `bwrap` command line that runs the runner as the Fargate task runs it: a read-only root holding the system's
 * programs and the image's copied files only, the task's user (when local mode is root: the ownership of volumes is
 * then exactly Fargate's), a fresh root-owned mount for each volume with the image's mode, and an environment of only
 * the image's ENV, the task definition's, the overrides and what the platform adds. The entrypoint is PID 1 of its own
 * PID namespace, as in a container without an init process: the kernel drops signals it has no handler for, and
 * when it exits every process it started is killed.
 */
export function fargateSandbox(options: FargateSandboxOptions): {
  command: string;
  args: string[];
  env: Record<string, string>;
} {
  const { task, image } = options;
  const context = options.context ?? RUNNER_IMAGE_DIR;
  const args = [
    '--die-with-parent',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-pid',
    '--as-pid-1',
    '--hostname',
    'ip-10-0-0-1',
  ];
  if (options.infoFd !== undefined) args.push('--info-fd', String(options.infoFd));
  for (const dir of SYSTEM_DIRS) {
    if (!existsSync(dir)) continue;
    if (lstatSync(dir).isSymbolicLink()) args.push('--symlink', readlinkSync(dir), dir);
    else args.push('--ro-bind', dir, dir);
  }
  args.push('--proc', '/proc', '--dev', '/dev');
  const node = process.execPath;
  const nodeInImage = SYSTEM_DIRS.some((dir) => node.startsWith(`${dir}/`)) ? undefined : '/opt/keepsake-node/bin/node';
  if (nodeInImage) args.push('--ro-bind', node, nodeInImage);
  // Docker creates WORKDIR and COPY's destination directories 0755.
  for (const dir of new Set([image.workdir, ...Object.keys(image.copies).map((path) => posix.dirname(path))]))
    args.push('--perms', '0755', '--dir', dir);
  for (const [inImage, source] of Object.entries(image.copies)) args.push('--ro-bind', join(context, source), inImage);
  for (const mount of task.mountPoints) {
    if (!task.volumes.includes(mount.sourceVolume))
      throw new Error(
        `mount point ${mount.containerPath} names volume ${mount.sourceVolume}, which the task does not define`,
      );
    const { mode } = mountedVolume(image, mount.containerPath);
    args.push('--perms', mode.toString(8).padStart(4, '0'), '--tmpfs', mount.containerPath);
    if (mount.readOnly) args.push('--remount-ro', mount.containerPath);
  }
  if (task.readonlyRootFilesystem) args.push('--remount-ro', '/');
  const user = task.user ?? image.user;
  const [uid = '', gid = uid] = (user ?? '0').split(':');
  if (!/^\d+$/.test(uid) || !/^\d+$/.test(gid))
    throw new Error(`the task's user must be numeric uid:gid for local mode, got ${user}`);
  // Docker sets HOME from the image's passwd entry of the user, or to / when it has none.
  const env: Record<string, string> = {
    HOME: image.homes[uid] ?? '/',
    ...image.env,
    ...task.environment,
    ...options.platform,
    ...options.overrides,
    HOSTNAME: 'ip-10-0-0-1',
  };
  if (nodeInImage) env.PATH = `${dirname(nodeInImage)}:${env.PATH ?? ''}`;
  args.push('--chdir', image.workdir);
  if (process.getuid?.() === 0) {
    // Root sets the user inside the sandbox, so the volumes stay root's as in Fargate.
    args.push(
      '--',
      '/usr/bin/setpriv',
      `--reuid=${uid}`,
      `--regid=${gid}`,
      '--clear-groups',
      '--',
      ...image.entrypoint,
    );
  } else {
    // Without root only a user namespace is possible: the task's uid owns the volumes then (see README).
    args.push('--unshare-user', '--uid', uid, '--gid', gid, '--', ...image.entrypoint);
  }
  // The environment goes to bwrap itself, which hands it on: as `--setenv` arguments the password would show in `ps`.
  return { command: 'bwrap', args, env };
}
