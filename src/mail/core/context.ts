// What every mail service process is given: the volume, its settings, the account
// directory, TLS material and a logger. Built once at start by `tandem mail serve`.
import type { Logger } from '../../lib/log.ts';
import { logger } from '../../lib/log.ts';
import { openVolume, loadTls, type VolumeLayout, type TlsMaterial } from './volume.ts';
import type { Settings } from './settings.ts';
import { Directory } from '../directory/directory.ts';

export interface MailContext {
  readonly layout: VolumeLayout;
  readonly settings: Settings;
  readonly directory: Directory;
  readonly tls: TlsMaterial;
  readonly log: Logger;
}

/** A started service: where it listens and how to stop it gracefully. */
export interface RunningService {
  readonly name: string;
  /** "host:port" of every listener, for the ready line and the operator. */
  readonly listening: string[];
  close(): Promise<void>;
}

/** On a replication slave, the master that owns the accounts (Directory refuses changes). */
export function replicaOf(settings: Settings): string | null {
  return settings.accounts.role === 'slave' ? settings.accounts.master?.url ?? 'the master' : null;
}

export async function openMailContext(dataDir: string, component: string): Promise<MailContext> {
  const { layout, settings } = await openVolume(dataDir);
  const directory = Directory.open(layout.accountsDb, { replicaOf: replicaOf(settings) });
  const tls = await loadTls(layout, settings);
  return { layout, settings, directory, tls, log: logger(component, { volume: layout.root }) };
}
