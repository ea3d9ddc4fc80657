// The mail data volume: everything stateful lives here (S2, DESIGN 3.2), so it follows
// the failover group. This module owns the layout, `mail init`, and loading settings.
//
//   DATA/
//     cfg/mail.yaml        settings (validated, versioned)
//     cfg/tls/             cert.pem, key.pem (self-signed on init unless provided)
//     db/accounts.sqlite   accounts: domains, users, aliases, lists (versioned schema)
//     mail/DOMAIN/LOCAL/   Maildir++ per user (cur, new, tmp, .Folder/)
//     queue/               outbound spool
//     index/               rebuildable caches (IMAP index); safe to delete
//     run/                 locks and runtime state of the active node
import { readFile, writeFile, access, mkdir, stat } from 'node:fs/promises';
import { join, isAbsolute } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { generate as generateCert } from 'selfsigned';
import { validateSettings, SettingsError, type Settings, type SettingsInput } from './settings.ts';
import { normalizeDomain } from './address.ts';
import { TandemError } from '../../lib/errors.ts';

export const VOLUME_FORMAT = 1;

/** Paths of one data volume. */
export class VolumeLayout {
  constructor(readonly root: string) {}
  get cfgDir(): string { return join(this.root, 'cfg'); }
  get settingsFile(): string { return join(this.root, 'cfg', 'mail.yaml'); }
  get tlsDir(): string { return join(this.root, 'cfg', 'tls'); }
  get dbDir(): string { return join(this.root, 'db'); }
  get accountsDb(): string { return join(this.root, 'db', 'accounts.sqlite'); }
  get mailDir(): string { return join(this.root, 'mail'); }
  get queueDir(): string { return join(this.root, 'queue'); }
  get indexDir(): string { return join(this.root, 'index'); }
  get runDir(): string { return join(this.root, 'run'); }
  get formatFile(): string { return join(this.root, 'FORMAT'); }
  /** Resolves a path from settings: absolute as is, else relative to cfg/. */
  cfgPath(p: string): string { return isAbsolute(p) ? p : join(this.cfgDir, p); }
  /** The Maildir++ root of one user. */
  maildir(domain: string, local: string): string {
    return join(this.mailDir, encodePathPart(normalizeDomain(domain)), encodePathPart(local.toLowerCase()));
  }
}

/** Makes a domain or local part safe as one path component (no '/', no leading '.'). */
export function encodePathPart(part: string): string {
  if (part === '' || part === '.' || part === '..') throw new Error(`invalid mailbox path part "${part}"`);
  return part.replace(/[/\\%\0]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).replace(/^\./, '%2e');
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

export interface InitOptions {
  hostname: string;
  domain: string;
  /** Extra settings merged over the defaults (e.g. the demo's ports). */
  settings?: Partial<SettingsInput>;
}

/** Creates a new volume. Refuses to touch a directory that already holds one. */
export async function initVolume(root: string, opts: InitOptions): Promise<VolumeLayout> {
  const layout = new VolumeLayout(root);
  if (await exists(layout.settingsFile)) {
    throw new TandemError('MAIL_ERR_EXISTS', 'exists', `${root} already holds a Tandem volume (${layout.settingsFile} exists)`);
  }
  const raw: SettingsInput = {
    version: 1,
    hostname: opts.hostname,
    primaryDomain: normalizeDomain(opts.domain),
    ...opts.settings,
  };
  // Validate before creating anything, so a bad flag leaves no half-made volume.
  const settings = validateSettings(raw, 'mail init');
  for (const dir of [layout.root, layout.cfgDir, layout.tlsDir, layout.dbDir, layout.mailDir, layout.queueDir, layout.indexDir, layout.runDir]) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  }
  await ensureTlsMaterial(layout, settings);
  await writeFile(layout.formatFile, `tandem-volume ${VOLUME_FORMAT}\n`, { mode: 0o600 });
  await writeFile(layout.settingsFile, renderSettings(raw), { mode: 0o600 });
  return layout;
}

function renderSettings(raw: SettingsInput): string {
  return [
    '# Tandem mail settings (the seed\'s servers.txt). Validated on every load;',
    '# see docs/configure.md for every field and its default.',
    stringifyYaml(raw),
  ].join('\n');
}

/** Makes a self-signed certificate for the host name when none is present. */
export async function ensureTlsMaterial(layout: VolumeLayout, settings: Settings): Promise<void> {
  const certFile = layout.cfgPath(settings.tls.cert);
  const keyFile = layout.cfgPath(settings.tls.key);
  if (await exists(certFile) && await exists(keyFile)) return;
  const pems = await generateCert([{ name: 'commonName', value: settings.hostname }], {
    keySize: 2048,
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 3 * 365 * 24 * 3600 * 1000),
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: settings.hostname }, { type: 7, ip: '127.0.0.1' }] }],
  });
  await mkdir(layout.tlsDir, { recursive: true, mode: 0o700 });
  await writeFile(keyFile, pems.private, { mode: 0o600 });
  await writeFile(certFile, pems.cert, { mode: 0o644 });
}

/** Loads and validates cfg/mail.yaml. Throws SettingsError naming every bad field. */
export async function loadSettings(layout: VolumeLayout): Promise<Settings> {
  let text: string;
  try {
    text = await readFile(layout.settingsFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new TandemError('MAIL_ERR_NO_VOLUME', 'not-found', `${layout.root} is not a Tandem volume (no cfg/mail.yaml); create one with "tandem mail init"`);
    }
    throw err;
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new SettingsError(layout.settingsFile, [`YAML syntax: ${(err as Error).message}`]);
  }
  return validateSettings(migrateSettings(raw), layout.settingsFile);
}

/**
 * Upgrades an older settings document to the current version. Version 1 is the
 * first; later versions add a step here, so an old volume keeps working after an upgrade.
 */
export function migrateSettings(raw: unknown): unknown {
  return raw;
}

export interface TlsMaterial { cert: Buffer; key: Buffer }

export async function loadTls(layout: VolumeLayout, settings: Settings): Promise<TlsMaterial> {
  const [cert, key] = await Promise.all([
    readFile(layout.cfgPath(settings.tls.cert)),
    readFile(layout.cfgPath(settings.tls.key)),
  ]);
  return { cert, key };
}

/** Opens an existing volume: checks its format and loads its settings. */
export async function openVolume(root: string): Promise<{ layout: VolumeLayout; settings: Settings }> {
  const layout = new VolumeLayout(root);
  const settings = await loadSettings(layout);
  const fmt = await readFile(layout.formatFile, 'utf8').catch(() => `tandem-volume ${VOLUME_FORMAT}`);
  const version = Number(/tandem-volume (\d+)/.exec(fmt)?.[1] ?? NaN);
  if (version > VOLUME_FORMAT) {
    throw new TandemError('MAIL_ERR_VOLUME_FORMAT', 'not-possible', `${root} has volume format ${version}; this Tandem understands up to ${VOLUME_FORMAT}: upgrade Tandem first`);
  }
  for (const dir of [layout.mailDir, layout.queueDir, layout.indexDir, layout.runDir, layout.dbDir]) {
    if (!(await stat(dir).catch(() => null))) await mkdir(dir, { recursive: true, mode: 0o700 });
  }
  return { layout, settings };
}
