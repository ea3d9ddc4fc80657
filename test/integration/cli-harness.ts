// Harness of the CLI integration tests: runs the real `node bin/tandem.js` as a child
// process against a volume made by `tandem mail init` in a temp directory.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { VolumeLayout } from '../../src/mail/core/volume.ts';
import { Directory } from '../../src/mail/directory/directory.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(REPO, 'bin', 'tandem.js');

export interface CliResult { code: number; stdout: string; stderr: string }

/**
 * Runs `tandem ARGS`, writing `input` to its stdin (always a pipe, never a TTY, so a
 * command that reads a password gets exactly `input`). $TANDEM_DATA is cleared unless
 * `env` sets it, so the caller's environment cannot leak into a test.
 */
export function runTandem(args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env };
  if (!opts.env?.TANDEM_DATA) delete env.TANDEM_DATA;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
    child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
    // A command waiting on a prompt would hang the suite; fail it with what it printed.
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    child.stdin.on('error', () => undefined); // the child may exit before reading stdin
    child.stdin.end(opts.input ?? '');
  });
}

export interface CliVolume {
  readonly data: string;
  readonly layout: VolumeLayout;
  /** Runs `tandem mail ARGS --data DIR`. */
  run(args: string[], input?: string): Promise<CliResult>;
  /** Runs a command that must succeed; returns its stdout. */
  ok(args: string[], input?: string): Promise<string>;
  /** Runs a command with --json that must succeed; returns the parsed output. */
  json<T = unknown>(args: string[]): Promise<T>;
  /** Runs a command that must fail with exit code 1 and one error line matching `message`. */
  fails(args: string[], message: RegExp, input?: string): Promise<CliResult>;
  /** Opens the volume's directory in this process, for checks the CLI does not show. */
  withDirectory<T>(fn: (d: Directory) => Promise<T> | T): Promise<T>;
  cleanup(): void;
}

/** Asserts a failed command printed one clear line: no stack trace, no internal error. */
export function assertCleanFailure(r: CliResult, message: RegExp, what: string): void {
  assert.equal(r.code, 1, `${what}: exit code 1 expected, got ${r.code}; stderr: ${r.stderr}`);
  assert.match(r.stderr, message, `${what}: stderr`);
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at /, `${what}: no stack trace`);
  assert.equal(r.stdout, '', `${what}: nothing on stdout`);
}

/** Makes a volume with `tandem mail init` (domain demo.test) in a fresh temp directory. */
export async function makeCliVolume(): Promise<CliVolume> {
  const tmp = mkdtempSync(join(tmpdir(), 'tandem-cli-'));
  const data = join(tmp, 'vol');
  const init = await runTandem(['mail', 'init', '--data', data, '--hostname', 'mail.demo.test', '--domain', 'demo.test']);
  assert.equal(init.code, 0, `mail init failed: ${init.stderr}`);
  const run = (args: string[], input?: string) => runTandem(['mail', ...args, '--data', data], { input });
  const vol: CliVolume = {
    data,
    layout: new VolumeLayout(data),
    run,
    async ok(args, input) {
      const r = await run(args, input);
      assert.equal(r.code, 0, `tandem mail ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
      return r.stdout;
    },
    async json<T>(args: string[]) {
      return JSON.parse(await vol.ok([...args, '--json'])) as T;
    },
    async fails(args, message, input) {
      const r = await run(args, input);
      assertCleanFailure(r, message, `tandem mail ${args.join(' ')}`);
      return r;
    },
    async withDirectory(fn) {
      const d = Directory.open(vol.layout.accountsDb);
      try {
        return await fn(d);
      } finally {
        d.close();
      }
    },
    cleanup() {
      rmSync(tmp, { recursive: true, force: true });
    },
  };
  return vol;
}
